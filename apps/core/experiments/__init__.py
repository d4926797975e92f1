"""The gallery's live experiments: one module per pattern, each with ``run(request)``.

A pattern names its module in ``Pattern.experiment``; the page calls
``run(request)`` and renders ``core/experiments/<slug>.html`` with what it
returns as ``experiment``. The contract every experiment keeps, so the
browser tests can run them all alike:

- the template has one ``<form data-testid="experiment">`` whose submit button
  is ``name="run" value="1"``; GET when the experiment only reads, POST (with
  ``{% csrf_token %}``) when it writes;
- before it runs, ``run`` returns ``{"ran": False, ...}`` and opens no more
  connections than the page needs;
- what it shows once run is inside ``data-testid="result"``, each database
  that served a step marked ``{% db alias %}`` (``data-db``);
- bad input is a message in the page, never an exception. The page answers
  200; a lab that is for staff returns ``{"status": 403, ...}`` to anyone else
  and the page is still rendered, saying so.
"""
