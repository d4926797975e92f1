"""Build ``DATABASES`` from the ``DATABASE_URL*`` variables.

Each alias reads one variable. An unset variable falls back to the embedded
default: one SQLite file per alias under ``var/``. The ``replica`` alias, when
``DATABASE_URL_REPLICA`` is unset, is a read-only connection to whatever
``default`` is, so routing to it is real and any write through it fails.

``legacy`` is a database another system owns (apps/legacy), always opened
read-only; ``legacy_owner`` is the same database as its owner, when
``DATABASE_URL_LEGACY_OWNER`` gives that role's URL (the tests build their
legacy test database through it); unset, it is ``legacy`` again, read-only.
Django migrates neither (``DATABASE_READ_ONLY``, routers/read_only.py).

A malformed URL doesn't raise here: the alias gets Django's dummy backend and
the problem is returned, so ``manage.py check`` (``project.E001``) and the WSGI
and ASGI start-up report every bad variable by name at once. Malformed
includes what django-environ would accept silently: a SQLite URL without an
absolute path (``sqlite://relative.db`` opens an empty in-memory database;
``sqlite:///relative.db`` a file relative to wherever the process starts),
and a PostgreSQL ``?connect_timeout=`` that isn't a whole number of seconds.
"""

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import environ

# alias -> the variable that configures it. Later databases (legacy, shards)
# follow the same DATABASE_URL_<NAME> pattern.
PRIMARY_VARIABLES = {
    "default": "DATABASE_URL",
    "blog_db": "DATABASE_URL_BLOG",
    "shop_db": "DATABASE_URL_SHOP",
    # The analytics warehouse, as the role that owns its objects: migrations,
    # refresh_reports and sync_warehouse use it; the site's pages never do.
    "analytics_owner": "DATABASE_URL_ANALYTICS_OWNER",
    # The physical shards of the sharded activity data (routers/sharding.py).
    "shard_0": "DATABASE_URL_SHARD_0",
    "shard_1": "DATABASE_URL_SHARD_1",
}
# replica alias -> (variable, the primary it mirrors)
REPLICA_VARIABLES = {
    "replica": ("DATABASE_URL_REPLICA", "default"),
}
# reader alias -> (variable, the alias whose database it reads). Not a replica:
# the same database through a role that can only read (apps/analytics).
READER_VARIABLES = {
    "analytics": ("DATABASE_URL_ANALYTICS", "analytics_owner"),
}
# read-only alias -> (variable, the owner's alias, the owner's variable): a
# database another system owns. The site reads it; only its owner writes it.
READ_ONLY_VARIABLES = {
    "legacy": ("DATABASE_URL_LEGACY", "legacy_owner", "DATABASE_URL_LEGACY_OWNER"),
}
# The embedded file of an alias, when it isn't <alias>.sqlite3.
EMBEDDED_FILES = {
    "analytics_owner": "analytics.sqlite3",
    "legacy_owner": "legacy.sqlite3",  # manage.py load_demo builds it, as its owner
}
# The analytics reader sees the reporting schema first; its role has the same
# search_path (docker/postgres/analytics/roles.sql), this covers any other role.
READER_SEARCH_PATH = "-c search_path=analytics"

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
# libpq's minimum: a server that accepts nothing costs a request 2 s, not the
# OS's TCP timeout; routers.health then skips it for its cooldown. A URL can
# set its own (?connect_timeout=5).
POSTGRES_CONNECT_TIMEOUT = 2
SQLITE_PATH_HINT = (
    "Give an absolute path: sqlite:////absolute/path/file.sqlite3 (four slashes, the last "
    "one starting the path), or unset it to use the embedded SQLite file."
)
CONNECT_TIMEOUT_HINT = (
    "Use whole seconds, e.g. ?connect_timeout=5 (libpq waits at least 2 s; 0 waits forever), "
    f"or leave it out for this project's {POSTGRES_CONNECT_TIMEOUT} s."
)


@dataclass(frozen=True)
class UrlProblem:
    """A database variable whose value can't be used."""

    variable: str
    alias: str
    message: str
    hint: str = URL_HINT


def database_settings(env: environ.Env, *, var_dir: Path) -> tuple[dict, list[UrlProblem]]:
    """Return ``(DATABASES, problems)`` for the variables in *env*."""
    databases: dict[str, dict] = {}
    problems: list[UrlProblem] = []
    for alias, variable in PRIMARY_VARIABLES.items():
        url = env.str(variable, default="").strip()
        if not url:
            file_name = EMBEDDED_FILES.get(alias, f"{alias}.sqlite3")
            databases[alias] = _embedded_sqlite(var_dir / file_name)
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
    for alias, (variable, owner) in READER_VARIABLES.items():
        config, problem = _reader(
            env, variable, alias=alias, owner=owner, owner_config=databases[owner]
        )
        if problem:
            problems.append(problem)
        databases[alias] = config
    for alias, (variable, owner, owner_variable) in READ_ONLY_VARIABLES.items():
        configs, problem = _owned_elsewhere(
            env, alias, variable, owner, owner_variable, var_dir=var_dir
        )
        databases.update(configs)
        if problem:
            problems.append(problem)
    return databases, problems


def database_from_url(url: str, *, option: str) -> dict:
    """A ``DATABASES`` entry for *url*, given on the command line as *option*.

    ``ValueError`` names the option and the form to use; the same checks as
    for the variables (an absolute SQLite path, a whole-second timeout).
    """
    config, problem = _parse(url, variable=option, alias=option)
    if problem:
        raise ValueError(
            f"{problem.message} Give a database alias, postgres://USER:PASSWORD@HOST:5432/NAME "
            "or sqlite:////absolute/path/file.sqlite3."
        )
    return _with_defaults(config)


def _owned_elsewhere(env, alias, variable, owner, owner_variable, *, var_dir):
    """Return ``({alias: ..., owner: ...}, problem)`` for a database another system owns.

    *alias* is always read-only. *owner* is the owner's URL when given, else
    *alias*'s settings again; on the embedded default, the file itself. Its
    test database is made without migrations (there are none, and it gets no
    ``django_migrations`` table); *alias*'s tests read it (``TEST["MIRROR"]``).
    """
    url = env.str(variable, default="").strip()
    owner_url = env.str(owner_variable, default="").strip()
    if owner_url and not url:
        return {alias: _dummy(), owner: _dummy()}, UrlProblem(
            owner_variable,
            owner,
            f"{owner_variable} is set but {variable} is not: the site reads {alias!r} "
            "through its own read-only role's URL.",
            hint=f"Set {variable} to the reader's URL on the same server, or unset both.",
        )
    if not url:
        owner_config = _embedded_sqlite(var_dir / EMBEDDED_FILES[owner])
        config = _read_only(owner_config)
    else:
        config, problem = _parse(url, variable=variable, alias=alias)
        if problem:
            return {alias: config, owner: _dummy()}, problem
        config = _read_only(_with_defaults(config))
        owner_config = config
        if owner_url:
            owner_config, problem = _parse(owner_url, variable=owner_variable, alias=owner)
            if problem:
                return {alias: config, owner: owner_config}, problem
            _with_defaults(owner_config)
    # Made on its own: its test database waits for no other (``default`` is the
    # one Django otherwise makes first).
    owner_config = {**owner_config, "TEST": {"MIGRATE": False, "DEPENDENCIES": []}}
    return {alias: {**config, "TEST": {"MIRROR": owner}}, owner: owner_config}, None


def _reader(env, variable, *, alias, owner, owner_config) -> tuple[dict, UrlProblem | None]:
    """A read-only alias on *owner*'s database: another role's URL, or owner's settings.

    Its tests read the owner's test database (``TEST["MIRROR"]``), as a replica's do.
    """
    owner_variable = PRIMARY_VARIABLES[owner]
    url = env.str(variable, default="").strip()
    if url and not env.str(owner_variable, default="").strip():
        return _dummy(), UrlProblem(
            variable,
            alias,
            f"{variable} is set but {owner_variable} is not: migrations and refreshes of "
            f"{alias!r} need the URL of the role that owns its objects.",
            hint=f"Set {owner_variable} to the owner's URL on the same server, or unset both.",
        )
    if url:
        config, problem = _parse(url, variable=variable, alias=alias)
        if problem:
            return config, problem
        config = _with_defaults(config)
    else:
        config = dict(owner_config)
    config = _read_only(config)
    if config["ENGINE"].endswith("postgresql"):
        options = config["OPTIONS"]["options"]
        config["OPTIONS"]["options"] = f"{options} {READER_SEARCH_PATH}"
    config["TEST"] = {"MIRROR": owner}
    return config, None


def reuse_connections(databases: dict, *, max_age: int) -> None:
    """Keep each PostgreSQL alias's connections open for *max_age* seconds (0: close
    after every request), checked before each request's first query.

    Persistent connections rather than Django's psycopg pool: README,
    "Connections". ``routers.health`` runs the check (``CONN_HEALTH_CHECKS``)
    before routing to a reused connection, with the connect timeout as its
    bound, so a connection broken by a restart is discarded and a hung server
    costs no more than a new connection would. SQLite files open in
    microseconds and are left as Django has them.
    """
    for config in databases.values():
        if config["ENGINE"].endswith("postgresql"):
            config.setdefault("CONN_MAX_AGE", max_age)
            config.setdefault("CONN_HEALTH_CHECKS", True)


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
    if engine.endswith("sqlite3"):
        problem = _sqlite_path_problem(url, config, variable=variable, alias=alias)
    else:
        problem = _connect_timeout_problem(config, variable=variable, alias=alias)
    return (_dummy(), problem) if problem else (config, None)


def _sqlite_path_problem(url, config, *, variable, alias) -> UrlProblem | None:
    """A SQLite URL must give an absolute path: anything else opens some other database."""
    name = config["NAME"]
    if not config.get("HOST") and Path(name).is_absolute():
        return None
    if name == ":memory:":  # sqlite://relative.db reads "relative.db" as a host, and drops it
        opens = "an empty in-memory database, lost when the connection closes"
    else:
        opens = f"{name!r} relative to the directory the process happens to start in"
    return UrlProblem(
        variable,
        alias,
        f"{variable} is {url!r}, which gives no absolute SQLite path: it would open {opens}.",
        hint=SQLITE_PATH_HINT,
    )


def _connect_timeout_problem(config, *, variable, alias) -> UrlProblem | None:
    """``?connect_timeout=`` must be whole seconds; django-environ passes any text through."""
    options = config.get("OPTIONS", {})
    if "connect_timeout" not in options:
        return None
    text = str(options["connect_timeout"]).strip()
    if re.fullmatch(r"[0-9]+", text):
        options["connect_timeout"] = int(text)
        return None
    return UrlProblem(
        variable,
        alias,
        f"{variable} sets connect_timeout={text!r}: it must be a whole number of seconds, "
        "0 or more.",
        hint=CONNECT_TIMEOUT_HINT,
    )


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
