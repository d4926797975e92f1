"""Query-string parsing that never turns a typo into an error page."""

MAX_PAGE_SIZE = 500


def page_size_from(raw: str | None, *, default: int) -> int:
    """Return ``?per_page=`` clamped to 1..MAX_PAGE_SIZE, or *default* if it isn't a number."""
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return default
    return max(1, min(size, MAX_PAGE_SIZE))
