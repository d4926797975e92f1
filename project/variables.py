"""Read the typed variables that aren't database URLs, naming the variable when one can't be used.

django-environ's ``env.int()`` and ``env.float()`` raise a bare ``ValueError``
(``could not convert string to float: 'abc'``) that names neither the
variable nor the setting, and a bad ``DJANGO_LOG_LEVEL`` stops Django's
logging set-up the same way. ``Variables`` reads them without raising: a
value that can't be used is recorded as a ``VariableProblem`` and the
default is used meanwhile, so the settings module still loads and
``manage.py check``, ``runserver``, ``migrate`` and the WSGI and ASGI
start-up report every bad variable by name at once (``project.E002``), as
``project/databases.py`` does for the URLs (``project.E001``).

Only the type is judged here, and a lower bound where one is given. Whether
a number makes sense (a negative cooldown) is otherwise the business of the
settings' own checks, such as ``routers.E041``, which also catch a bad value
set in Python.
"""

import logging
from dataclasses import dataclass

import environ

# A value echoed in a message is cut to this many characters.
SHOWN = 40


@dataclass(frozen=True)
class VariableProblem:
    """An environment variable whose value can't be used."""

    variable: str
    message: str
    hint: str


class Variables:
    """Typed reads of environment variables that collect bad values instead of raising."""

    def __init__(self, env: environ.Env):
        self.env = env
        self.problems: list[VariableProblem] = []

    def seconds(self, variable: str, *, default: float) -> float:
        """A number of seconds, whole or not (``0.5``); *default* when unset or empty."""
        raw = self._raw(variable)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError:
            self._problem(variable, raw, "is not a number of seconds", example=f"{default:g}")
            return default

    def whole_seconds(self, variable: str, *, default: int, minimum: int | None = None) -> int:
        """A whole number of seconds, at least *minimum*; *default* when unset or empty."""
        raw = self._raw(variable)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self._problem(variable, raw, "is not a whole number of seconds", example=f"{default}")
            return default
        if minimum is not None and value < minimum:
            self._problem(variable, raw, f"is less than {minimum}", example=f"{default}")
            return default
        return value

    def log_level(self, variable: str, *, default: str) -> str:
        """A logging level name, in any case (``info``); *default* when unset or empty."""
        raw = self._raw(variable)
        if raw is None:
            return default
        if raw.upper() in logging.getLevelNamesMapping():
            return raw.upper()
        self._problem(variable, raw, "is not a logging level", example=default)
        return default

    def _raw(self, variable: str) -> str | None:
        return self.env.str(variable, default="").strip() or None

    def _problem(self, variable: str, raw: str, what: str, *, example: str) -> None:
        shown = raw if len(raw) <= SHOWN else raw[:SHOWN] + "..."
        self.problems.append(
            VariableProblem(
                variable,
                f"{variable}={shown!r} {what}.",
                f"Set it like {variable}={example}, or unset it to use the default ({example}).",
            )
        )
