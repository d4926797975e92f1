"""docker-compose.yml's legacy stock system, checked offline: its server, roles and SQL."""

import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

from project.databases import READ_ONLY_VARIABLES, READER_VARIABLES
from tests.compose.conftest import ENV_EXAMPLE, REPO, read_env_file
from tests.compose.model import (
    ALIAS_VARIABLES,
    database_services,
    legacy_hosts,
    secret_values,
    url_of,
)
from tests.postgres.servers import topology

LEGACY_SQL = REPO / "docker" / "legacy"
LEGACY_INITDB_SCRIPT = LEGACY_SQL / "initdb" / "10-legacy.sh"


def test_the_legacy_alias_reads_as_legacy_reader_and_the_site_never_gets_the_owner(services):
    """legacy's URL is the reader's on db-legacy's database; no service of the site has
    the owner's URL or password, which only db-legacy's init script uses."""
    owner_password = read_env_file(ENV_EXAMPLE)["LEGACY_OWNER_PASSWORD"]
    for alias, (_, _, owner_variable) in READ_ONLY_VARIABLES.items():
        url = url_of(services, alias)
        server = services[url.hostname]
        assert url.username == "legacy_reader"
        assert url.password == server["environment"]["LEGACY_READER_PASSWORD"]
        assert url.path.lstrip("/") == server["environment"]["LEGACY_DB_NAME"] == "stock"
        for name in ("web", "migrate", "relay"):
            assert owner_variable not in services[name]["environment"], name
    holders_of_owner = {
        where.split(".")[0]
        for where, value in secret_values(services).items()
        if value == owner_password
    }
    assert holders_of_owner == legacy_hosts(services)


def test_the_legacy_server_has_its_own_init_directory_and_none_of_the_sites_roles(services):
    """db-legacy runs docker/legacy/initdb, not the shared scripts, and mounts no roles.sql
    of the site: app, app_readonly and replicator don't exist there."""
    for name in legacy_hosts(services):
        service = services[name]
        mounts = {v["target"]: v for v in service["volumes"] if v["type"] == "bind"}
        assert Path(mounts["/docker-entrypoint-initdb.d"]["source"]) == LEGACY_SQL / "initdb"
        assert "/docker/postgres/roles.sql" not in mounts, name
        assert all(mount["read_only"] for mount in mounts.values()), name
        assert service["command"] is None, "the image's own: no source of the warehouse"
        assert any(v["type"] == "volume" for v in service["volumes"]), f"{name}: no data volume"
        test = " ".join(service["healthcheck"]["test"])
        assert 'pg_isready -h 127.0.0.1 -U postgres -d "$${LEGACY_DB_NAME}"' in test


def legacy_sql_paths() -> dict[str, Path]:
    """``{path in the container: file in the repository}`` of every SQL file db-legacy's
    init reads: those 10-legacy.sh names, and those roles.sql includes with ``\\ir``."""
    script = LEGACY_INITDB_SCRIPT.read_text()
    sql_dir = re.search(r"LEGACY_SQL_DIR:-([^}]+)}", script).group(1)
    paths = {
        f"{sql_dir}/{name}": LEGACY_SQL / name
        for name in re.findall(r'"\$sql_dir/([\w-]+\.sql)"', script)
    }
    roles = paths[f"{sql_dir}/roles.sql"].read_text()
    for included in re.findall(r"^\\ir (\S+)$", roles, flags=re.M):
        in_container = posixpath.normpath(posixpath.join(sql_dir, included))
        paths[in_container] = (LEGACY_SQL / included).resolve()
    return paths


def test_the_legacy_server_mounts_every_sql_file_where_its_init_reads_it(services):
    """roles.sql, schema.sql, data.sql and grants.sql beside each other, and the file
    roles.sql includes (``\\ir ../postgres/revoke-large-objects.sql``) relative to them."""
    paths = legacy_sql_paths()
    assert {path.name for path in paths.values()} == {
        "roles.sql",
        "schema.sql",
        "data.sql",
        "grants.sql",
        "revoke-large-objects.sql",
    }
    for name in legacy_hosts(services):
        mounts = {v["target"]: v for v in services[name]["volumes"] if v["type"] == "bind"}
        for target, source in paths.items():
            assert target in mounts, f"{name} doesn't mount {target}"
            assert Path(mounts[target]["source"]) == source, target


def test_the_local_topology_runs_a_server_for_each_database_service(services):
    """scripts/pg_topology.py has the same servers as this file: one per alias's URL (a
    reader's shares its owner's), the legacy database under the same name."""
    assert len(topology.SERVERS) == len(database_services(services))
    environment = services["web"]["environment"]
    one_server_each = {v for alias, v in ALIAS_VARIABLES.items() if alias not in READER_VARIABLES}
    assert {server.variable for server in topology.SERVERS} == one_server_each
    assert one_server_each <= set(environment)
    assert urlsplit(environment[topology.LEGACY.variable]).path.lstrip("/") == (
        topology.database_of(topology.LEGACY)
    )
