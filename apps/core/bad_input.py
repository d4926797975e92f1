"""Refuse input no database can store: a NUL, or a lone surrogate, anywhere in a request.

PostgreSQL's text types can't hold NUL (U+0000): a query that compares or
stores one fails with ``DataError: A string literal cannot contain NUL (0x00)
characters``, a 500. A lone surrogate (U+D800 to U+DFFF) has no UTF-8
encoding, so the driver can't even send it. Django's form fields refuse NUL
(``ProhibitNullCharactersValidator``), but a query parameter used directly
in a filter (``/blog/?author=``), the admin's changelist filters and search
(``?status=``, ``?q=``) and the session cookie reach the database with no
form in between.

So ``BadInputMiddleware`` answers 400, before any view or middleware that
queries a database runs, to a request whose path, query string, form data
(keys or values) or cookie values hold either. One check at the door covers
every view, Django's own included, and the views added later; validating in
each selector would leave the admin and the session lookup out. Django
decodes invalid UTF-8 in a request, such as the bytes a client sends for a
lone surrogate (``%ED%A0%80``), to U+FFFD, which any database stores; the
check here catches a surrogate that arrives decoded all the same.

Reading ``request.POST`` here parses the body early, as ``CsrfViewMiddleware``
does for every POST anyway; a view that reads ``request.body`` of a
multipart request afterwards would get ``RawPostDataException``.
"""

import re

from django.shortcuts import render

from apps.core.middleware import SyncAndAsyncMiddleware

# NUL, and the UTF-16 surrogates, which are never characters on their own.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_input(request) -> str:
    """Name the part of *request* holding a NUL or a lone surrogate, or "" when none does."""
    if UNSTORABLE.search(request.path):
        return "address"
    for part, data in (("query string", request.GET), ("form data", request.POST)):
        for key, values in data.lists():
            if UNSTORABLE.search(key) or any(UNSTORABLE.search(value) for value in values):
                return part
    if any(UNSTORABLE.search(value) for value in request.COOKIES.values()):
        return "cookies"
    return ""


class BadInputMiddleware(SyncAndAsyncMiddleware):
    """Answer 400 to a request whose input holds a character no database can store."""

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        return self._refusal(request) or self.get_response(request)

    async def __acall__(self, request):
        return self._refusal(request) or await self.get_response(request)

    @staticmethod
    def _refusal(request):
        where = unstorable_input(request)
        if not where:
            return None
        # Rendered without the session or the user: neither has been read yet,
        # and reading them would take the input this page refuses to a database.
        return render(request, "core/bad_input.html", {"where": where}, status=400)
