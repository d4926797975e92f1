"""Reading the resolved compose model: its database servers, the aliases' URLs, its secrets.

Shared by tests/compose/test_compose.py and test_compose_legacy.py.
"""

import re
from urllib.parse import urlsplit

from project.databases import (
    PRIMARY_VARIABLES,
    READ_ONLY_VARIABLES,
    READER_VARIABLES,
    REPLICA_VARIABLES,
)

# alias -> the variable that configures it, replicas and readers included.
ALIAS_VARIABLES = (
    PRIMARY_VARIABLES
    | {alias: var for alias, (var, _) in REPLICA_VARIABLES.items()}
    | {alias: var for alias, (var, _) in READER_VARIABLES.items()}
    | {alias: var for alias, (var, _, _) in READ_ONLY_VARIABLES.items()}
)


def database_services(services: dict) -> dict[str, dict]:
    """The PostgreSQL servers: the image, and a data volume (the one-shot subscribe has none)."""
    return {
        name: service
        for name, service in services.items()
        if service.get("image", "").startswith("postgres:")
        and any(v["target"] == "/var/lib/postgresql/data" for v in service.get("volumes", []))
    }


def url_of(services: dict, alias: str):
    return urlsplit(services["web"]["environment"][ALIAS_VARIABLES[alias]])


def database_name(service: dict) -> str:
    """The database a server's init scripts create: the site's, or the legacy system's."""
    environment = service["environment"]
    return environment.get("APP_DB_NAME") or environment["LEGACY_DB_NAME"]


def legacy_hosts(services: dict) -> set[str]:
    """The servers of the databases another system owns (the ``legacy`` alias's)."""
    return {url_of(services, alias).hostname for alias in READ_ONLY_VARIABLES}


def secret_values(services: dict) -> dict[str, str]:
    """Return ``{"service.VARIABLE": secret}`` for each password or key in a resolved model."""
    found = {}
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if re.search("PASSWORD|SECRET", key):
                found[f"{name}.{key}"] = value
            elif "://" in (value or "") and urlsplit(value).password is not None:
                found[f"{name}.{key}"] = urlsplit(value).password
    return found
