"""Logging filters for the site's console.

Django logs every 4xx it turns an exception into (``PermissionDenied``,
``BadRequest``, ``SuspiciousOperation``: ``django.request`` and
``django.security.*``) with the exception's traceback. A 403 or a 400 is the
client's doing, not the code's, and a traceback per refused request buries
the ones that matter: this filter keeps the line and drops the traceback.
A 5xx keeps it.
"""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Log a 4xx's line without its traceback; leave everything else as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        client_error = status is not None and 400 <= status < 500
        if client_error or record.name.startswith("django.security."):
            record.exc_info, record.exc_text = None, None
        return True
