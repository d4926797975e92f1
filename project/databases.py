"""Build ``DATABASES`` from the ``DATABASE_URL*`` variables.

Each alias reads one variable. An unset variable falls back to the embedded
default: one SQLite file per alias under ``var/``. The ``replica`` alias, when
``DATABASE_URL_REPLICA`` is unset, is a read-only connection to whatever
``default`` is, so routing to it is real and any write through it fails.

A malformed URL doesn't raise here: the alias gets Django's dummy backend and
the problem is returned, so ``manage.py check`` (``project.E001``) and the WSGI
and ASGI start-up report every bad variable by name at once.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import environ

# alias -> the variable that configures it. Later databases (analytics, legacy,
# shards) follow the same DATABASE_URL_<NAME> pattern.
PRIMARY_VARIABLES = {
    "default": "DATABASE_URL",
    "blog_db": "DATABASE_URL_BLOG",
    "shop_db": "DATABASE_URL_SHOP",
}
# replica alias -> (variable, the primary it mirrors)
REPLICA_VARIABLES = {
    "replica": ("DATABASE_URL_REPLICA", "default"),
}

SUPPORTED_ENGINES = {
    "django.db.backends.postgresql": "postgres://USER:PASSWORD@HOST:5432/NAME",
    "django.db.backends.sqlite3": "sqlite:////absolute/path/file.sqlite3",
}
URL_HINT = (
    "Use postgres://USER:PASSWORD@HOST:5432/NAME or "
    "sqlite:////absolute/path/file.sqlite3, or unset it to use the embedded SQLite file."
)
# SQLite has no read-only role; query_only makes the connection refuse writes.
# It lives in OPTIONS, so it survives Django's TEST["MIRROR"], which swaps NAME
# only. read_uncommitted matters only for the shared-cache in-memory databases
# Django tests with: there the mirror sees the test's open transaction instead
# of failing with "database table is locked", as a mirror should.
SQLITE_READ_ONLY = "PRAGMA query_only = ON; PRAGMA read_uncommitted = ON"
# Postgres equivalent for a replica derived from its primary's URL.
POSTGRES_READ_ONLY = "-c default_transaction_read_only=on"


@dataclass(frozen=True)
class UrlProblem:
    """A database variable whose value can't be used."""

    variable: str
    alias: str
    message: str


def database_settings(env: environ.Env, *, var_dir: Path) -> tuple[dict, list[UrlProblem]]:
    """Return ``(DATABASES, problems)`` for the variables in *env*."""
    databases: dict[str, dict] = {}
    problems: list[UrlProblem] = []
    for alias, variable in PRIMARY_VARIABLES.items():
        url = env.str(variable, default="").strip()
        if not url:
            databases[alias] = _embedded_sqlite(var_dir / f"{alias}.sqlite3")
            continue
        config, problem = _parse(url, variable=variable, alias=alias)
        databases[alias] = config
        if problem:
            problems.append(problem)
        else:
            _with_defaults(config)
    for alias, (variable, primary) in REPLICA_VARIABLES.items():
        url = env.str(variable, default="").strip()
        if url:
            config, problem = _parse(url, variable=variable, alias=alias)
            if problem:
                problems.append(problem)
            else:
                config = _read_only(_with_defaults(config))
        else:
            config = _read_only(dict(databases[primary]))
        config["TEST"] = {"MIRROR": primary}
        databases[alias] = config
    return databases, problems


# libpq's minimum: a server that accepts nothing costs a request 2 s, not the
# OS's TCP timeout; routers.health then skips it for its cooldown. A URL can
# set its own (?connect_timeout=5).
POSTGRES_CONNECT_TIMEOUT = 2


def _with_defaults(config: dict) -> dict:
    """Fill in the OPTIONS this project relies on, unless the URL gave them."""
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"].endswith("sqlite3"):
        options.setdefault("transaction_mode", "IMMEDIATE")
    elif config["ENGINE"].endswith("postgresql"):
        options.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT)
    return config


def _embedded_sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
        # busy timeout instead of failing with "database is locked" mid-transaction.
        "OPTIONS": {"transaction_mode": "IMMEDIATE"},
    }


def _parse(url: str, *, variable: str, alias: str) -> tuple[dict, UrlProblem | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unknown engine is reported below, by name
            config = environ.Env.db_url_config(url)
    except (ValueError, KeyError) as exc:
        return _dummy(), UrlProblem(variable, alias, f"{variable} is not a valid URL: {exc}.")
    engine = config.get("ENGINE", "")
    if engine not in SUPPORTED_ENGINES:
        scheme = url.split(":", 1)[0] if ":" in url else url[:20]
        return _dummy(), UrlProblem(
            variable, alias, f"{variable} has an unsupported scheme {scheme!r} for alias {alias!r}."
        )
    if not config.get("NAME"):
        return _dummy(), UrlProblem(variable, alias, f"{variable} names no database.")
    return config, None


def _read_only(config: dict) -> dict:
    """Return *config* made read-only at the connection level."""
    config = {**config, "OPTIONS": dict(config.get("OPTIONS", {}))}
    config["OPTIONS"].pop("transaction_mode", None)
    if config["ENGINE"].endswith("sqlite3"):
        name = config["NAME"]
        if not name.startswith("file:") and name != ":memory:":
            config["NAME"] = f"file:{name}?mode=ro"
        config["OPTIONS"]["init_command"] = SQLITE_READ_ONLY
    elif config["ENGINE"].endswith("postgresql"):
        options = config["OPTIONS"].get("options", "")
        config["OPTIONS"]["options"] = f"{options} {POSTGRES_READ_ONLY}".strip()
    return config


def _dummy() -> dict:
    return {"ENGINE": "django.db.backends.dummy"}
