"""Ask the other routers where a model goes, and remember the answers that can't change.

Some routers compose: the replica routers ask the others where a model is
written, ``ReadOnlyRouter`` asks them where it would go. Asking on every
decision multiplies the cost of each router by the number that ask. Yet most
answers depend on the model alone (an app-label rule, the warehouse's apps),
and a router can say so for a model with one optional method::

    class AppLabelRouter:
        def routes_by_model(self, model):
            \"\"\"Its answers for *model* read the model and settings only.\"\"\"
            return True

``first_answer()`` remembers the first answer, and the reasons recorded while
finding it (``explain.py``, replayed to a trace), per asker, method and model,
when every router it asked says ``routes_by_model(model)``. A router without
the method is asked every time, so one that reads hints, the request or the
clock stays correct; so is anything asked while ``DATABASE_ROUTERS`` differs
from when it was remembered. A changed setting (``override_settings``)
forgets everything.

Copy with: ``explain.py``.
"""

from collections.abc import Callable, Iterable

from django.core.signals import setting_changed
from django.db import router
from django.dispatch import receiver

from .explain import captured, current_record, replay

__all__ = ["first_answer", "remembered"]

# (asker, method, model) -> (the router list it was found with, answer, reasons)
_remembered: dict[tuple, tuple] = {}


def first_answer(
    asker, method: str, model, hints: dict, *, routers: Callable[[list], Iterable]
) -> str | None:
    """The first alias that ``routers(django.db.router.routers)`` give for ``method(model)``."""
    # django.db.router.routers: the instances Django consults, in order
    # (undocumented; tests/routers/test_django_internals.py watches it).
    everyone = router.routers
    entry = _remembered.get((asker, method, model))
    if entry is not None and entry[0] is everyone:
        if entry[2] and current_record() is not None:
            replay(entry[2])
        return entry[1]
    answer, by_model = None, True
    with captured() as reasons:
        for other in routers(everyone):
            ask = getattr(other, method, None)
            if ask is None:
                continue
            answer = ask(model, **hints)
            by_model = by_model and _routes_by_model(other, model)
            if answer:
                break
    if by_model:
        _remembered[asker, method, model] = (everyone, answer, reasons)
    return answer


def remembered(asker, method: str, model) -> tuple[bool, str | None]:
    """``(True, answer)`` when *asker* remembers ``method(model)``; ``(False, None)`` if not."""
    entry = _remembered.get((asker, method, model))
    if entry is None or entry[0] is not router.routers:
        return False, None
    return True, entry[1]


def _routes_by_model(other, model) -> bool:
    says = getattr(other, "routes_by_model", None)
    return bool(says and says(model))


@receiver(setting_changed)
def _forget(**kwargs):
    _remembered.clear()
