"""docker-compose.yml, checked offline: schema, interpolation and the resolved topology."""

import json
import re
import runpy
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from project.databases import PRIMARY_VARIABLES, READER_VARIABLES, REPLICA_VARIABLES
from tests.compose.conftest import (
    COMPOSE_FILE,
    DOCKERFILE,
    ENV_EXAMPLE,
    REPO,
    compose,
    read_env_file,
    run,
    tool,
)
from tests.compose.model import (
    ALIAS_VARIABLES,
    database_name,
    database_services,
    legacy_hosts,
    secret_values,
    url_of,
)
from tests.postgres.servers import topology

# The warehouse's owner alias: the server its reader role and subscriptions live on.
WAREHOUSE_OWNERS = {owner for _, owner in READER_VARIABLES.values()}
SUBSCRIBE_SCRIPT = "/docker/postgres/analytics/subscribe.sh"
SECRET_NAMES = [name for name in read_env_file(ENV_EXAMPLE) if re.search("PASSWORD|SECRET", name)]


def healthcheck_problems(services: dict) -> list[str]:
    """Return what is wrong with the healthchecks of a resolved model, one line each."""
    problems = []
    for name in database_services(services):
        if not services[name].get("healthcheck", {}).get("test"):
            problems.append(f"database service {name} has no healthcheck")
    for name, service in services.items():
        for target, dependency in service.get("depends_on", {}).items():
            check = services.get(target, {}).get("healthcheck", {})
            if dependency["condition"] == "service_healthy" and (
                not check.get("test") or check.get("disable")
            ):
                problems.append(f"{name} waits for {target} to be healthy; it has no healthcheck")
    return problems


def test_config_resolves_from_env_example_alone(compose_config):
    """`docker compose config` succeeds with only .env.example and warns about nothing."""
    assert compose_config.returncode == 0, compose_config.stderr
    assert compose_config.stderr.strip() == ""


def test_every_compose_variable_has_a_value_in_env_example(clean_home):
    """Each ${VAR} of the compose file is defined, non-empty, in .env.example."""
    result = compose("config", "--variables", home=clean_home)
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()]
    assert names, result.stdout
    documented = read_env_file(ENV_EXAMPLE)
    assert [name for name in names if not documented.get(name)] == []


def test_compose_file_matches_the_compose_spec_schema(clean_home):
    """check-jsonschema finds no key the Compose specification doesn't define."""
    result = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        home=clean_home,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelt_healthcheck_key_is_rejected(tmp_path, clean_home):
    """`tset:` for `test:` fails both the schema check and `compose config`."""
    broken = tmp_path / "docker-compose.yml"
    text = COMPOSE_FILE.read_text()
    assert "\n  test: " in text
    broken.write_text(text.replace("\n  test: ", "\n  tset: ", 1))
    schema = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        home=clean_home,
    )
    assert schema.returncode != 0
    assert "tset" in schema.stdout
    resolved = compose("config", "--quiet", home=clean_home, compose_file=broken)
    assert resolved.returncode != 0
    assert "tset" in resolved.stderr


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_compose_refuses_to_start_without_a_secret(name, tmp_path, clean_home):
    """An empty secret stops compose with a message naming it, instead of a blank password."""
    env_file = tmp_path / "env"
    lines = ENV_EXAMPLE.read_text().splitlines()
    env_file.write_text(
        "\n".join(f"{name}=" if line.startswith(f"{name}=") else line for line in lines)
    )
    result = compose("config", "--quiet", home=clean_home, env_file=env_file)
    assert result.returncode != 0
    assert f"set {name} in .env" in result.stderr


def test_secrets_in_the_resolved_model_are_the_env_example_placeholders(services):
    """Resolved with .env.example, every password and key is one of its placeholders."""
    placeholders = {read_env_file(ENV_EXAMPLE)[name] for name in SECRET_NAMES}
    found = secret_values(services)
    assert len(found) > len(SECRET_NAMES)
    assert {where: value for where, value in found.items() if value not in placeholders} == {}


def test_every_secret_comes_from_interpolation(tmp_path, clean_home):
    """Fresh values in the env file replace every secret: none is written inline."""
    fresh = {name: f"fresh-{name.lower().replace('_', '-')}" for name in SECRET_NAMES}
    env_file = tmp_path / "env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in fresh.items()))
    result = compose("config", "--format", "json", home=clean_home, env_file=env_file)
    assert result.returncode == 0, result.stderr
    found = secret_values(json.loads(result.stdout)["services"])
    assert {where: value for where, value in found.items() if value not in fresh.values()} == {}
    assert set(found.values()) == set(fresh.values()), "every secret is used"


def test_every_django_alias_has_its_own_database_service(services):
    """Each alias's URL, in web and migrate alike, names a Postgres service and its database.

    One server per alias, none left over, except that a reader alias shares its
    owner's server and database (another role on the same data). The legacy
    alias's owner has no URL here: the site never gets it.
    """
    databases = database_services(services)
    for service in ("web", "migrate"):
        environment = services[service]["environment"]
        hosts = []
        for alias, variable in ALIAS_VARIABLES.items():
            url = urlsplit(environment[variable])
            assert url.scheme in {"postgres", "postgresql"}, (service, alias)
            assert url.hostname in databases, f"{alias}: no service {url.hostname}"
            assert url.port == 5432
            assert url.path.lstrip("/") == database_name(databases[url.hostname]), alias
            if alias not in READER_VARIABLES:
                hosts.append(url.hostname)
        assert sorted(hosts) == sorted(databases), "one server per alias, none left over"


def test_the_analytics_reader_and_owner_are_two_roles_on_the_warehouse(services):
    """analytics reads as analytics_reader, analytics_owner as app: one server and database."""
    for reader, (_, owner) in READER_VARIABLES.items():
        reader_url, owner_url = url_of(services, reader), url_of(services, owner)
        assert (reader_url.hostname, reader_url.path) == (owner_url.hostname, owner_url.path)
        assert reader_url.username == "analytics_reader"
        assert owner_url.username == "app"
        assert reader_url.password == read_env_file(ENV_EXAMPLE)["ANALYTICS_DB_PASSWORD"]
        assert owner_url.password == read_env_file(ENV_EXAMPLE)["APP_DB_PASSWORD"]
        warehouse = services[owner_url.hostname]
        assert warehouse["environment"]["ANALYTICS_DB_PASSWORD"] == reader_url.password
        assert "PRIMARY_HOST" not in warehouse["environment"], "a primary, not a standby"


def test_only_the_warehouse_creates_the_reader_role(services):
    """initdb/40-analytics-roles.sh acts where ANALYTICS_DB_PASSWORD is set: the warehouse only."""
    warehouses = {url_of(services, owner).hostname for owner in WAREHOUSE_OWNERS}
    with_reader = {
        name
        for name, service in database_services(services).items()
        if "ANALYTICS_DB_PASSWORD" in service["environment"]
    }
    assert with_reader == warehouses
    script = (REPO / "docker" / "postgres" / "initdb" / "40-analytics-roles.sh").read_text()
    reads = re.search(r"ANALYTICS_ROLES_SQL:-([^}]+)}", script).group(1)
    for name in warehouses:
        mounts = {v["target"]: v for v in services[name]["volumes"]}
        assert mounts[reads]["read_only"], name
        assert (
            Path(mounts[reads]["source"])
            == REPO / "docker" / "postgres" / "analytics" / "roles.sql"
        )
        command = " ".join(services[name]["command"])
        for setting in (
            "max_logical_replication_workers=8",
            "max_worker_processes=16",
            "max_sync_workers_per_subscription=2",
        ):
            assert f"-c {setting}" in command, name


def subscribed_sources(services: dict) -> dict[str, tuple[str, str]]:
    """``{alias: (host, database)}`` from the subscribe service's SOURCES."""
    pairs = services["subscribe"]["environment"]["SOURCES"].split()
    sources = {}
    for pair in pairs:
        alias, address = pair.split("=", 1)
        host, database = address.split("/", 1)
        sources[alias] = (host, database)
    return sources


def test_the_subscribe_step_subscribes_the_warehouse_to_its_sources_only(services):
    """Sources are the local topology's (default, blog_db, shop_db), at their URLs'
    servers; they alone run with logical WAL: not the shards, nor the legacy system."""
    sources = subscribed_sources(services)
    assert set(sources) == topology.WAREHOUSE_SOURCES
    assert set(sources) < set(PRIMARY_VARIABLES) - WAREHOUSE_OWNERS
    for alias, (host, database) in sources.items():
        url = url_of(services, alias)
        assert (url.hostname, url.path.lstrip("/")) == (host, database), alias
        assert " ".join(services[host]["command"]) == "postgres -c wal_level=logical", host
    source_hosts = {host for host, _ in sources.values()}
    for name, service in database_services(services).items():
        if name not in source_hosts:
            assert "wal_level=logical" not in " ".join(service["command"] or []), name
    script = (REPO / "docker" / "postgres" / "analytics" / "subscribe.sh").read_text()
    default = re.search(r'sources="\$\{SOURCES:-([^}]+)}"', script).group(1)
    assert default == services["subscribe"]["environment"]["SOURCES"], "the script's default"
    (owner,) = WAREHOUSE_OWNERS
    warehouse_url = url_of(services, owner)
    assert services["subscribe"]["environment"]["WAREHOUSE"] == (
        f"{warehouse_url.hostname}{warehouse_url.path}"
    )


def test_the_subscribe_step_runs_once_after_migrate_and_web_waits_for_it(services):
    """One-shot, as the superuser, running subscribe.sql; migrate first, web after."""
    subscribe = services["subscribe"]
    assert subscribe["image"] == services["db-default"]["image"]
    assert subscribe["restart"] == "no"
    assert subscribe["healthcheck"]["disable"] is True
    assert subscribe["entrypoint"] == ["bash", SUBSCRIBE_SCRIPT]
    assert subscribe["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (
        subscribe["environment"]["POSTGRES_PASSWORD"]
        == (services["db-analytics"]["environment"]["POSTGRES_PASSWORD"])
    )
    mounts = {v["target"]: v for v in subscribe["volumes"]}
    script = Path(mounts[SUBSCRIBE_SCRIPT]["source"]).read_text()
    sql_path = re.search(r"SUBSCRIBE_SQL:-([^}]+)}", script).group(1)
    assert Path(mounts[sql_path]["source"]) == REPO / "docker/postgres/analytics/subscribe.sql"
    assert all(mount["read_only"] for mount in mounts.values())
    web = services["web"]["depends_on"]
    assert web["subscribe"]["condition"] == "service_completed_successfully"


def test_replica_is_a_streaming_standby_of_its_primary(services):
    """The replica alias reads as app_readonly from a pg_basebackup clone of its primary."""
    environment = services["web"]["environment"]
    for variable, primary in REPLICA_VARIABLES.values():
        replica_url = urlsplit(environment[variable])
        primary_url = urlsplit(environment[PRIMARY_VARIABLES[primary]])
        standby = services[replica_url.hostname]
        assert replica_url.username == "app_readonly"
        assert replica_url.path == primary_url.path, "the same database, streamed"
        assert standby["environment"]["PRIMARY_HOST"] == primary_url.hostname
        assert standby["depends_on"][primary_url.hostname]["condition"] == "service_healthy"
        script_path = next(arg for arg in standby["entrypoint"] if arg.endswith(".sh"))
        mount = next(v for v in standby["volumes"] if v["target"] == script_path)
        script = Path(mount["source"]).read_text().replace("\\\n", " ")
        assert re.search(r'pg_basebackup\s+-h\s+"\$PRIMARY_HOST"\s+-U\s+replicator', script)
        assert re.search(r"-R\s+-X\s+stream", script)
        assert re.search(r"exec docker-entrypoint\.sh", script)
        assert standby["command"] == ["postgres"]


def test_every_healthy_dependency_has_a_healthcheck(services):
    """Each database, and each target of `service_healthy`, defines a healthcheck."""
    assert healthcheck_problems(services) == []


def test_a_database_without_healthcheck_is_reported(tmp_path, clean_home):
    """The healthcheck rule catches a server others wait on that can never turn healthy."""
    broken = tmp_path / "docker-compose.yml"
    text = COMPOSE_FILE.read_text()
    marker = (
        "      - db-shop-data:/var/lib/postgresql/data\n    healthcheck: *postgres-healthcheck\n"
    )
    assert marker in text
    broken.write_text(text.replace(marker, marker.split("    healthcheck")[0]))
    result = compose("config", "--format", "json", home=clean_home, compose_file=broken)
    assert result.returncode == 0, result.stderr
    problems = healthcheck_problems(json.loads(result.stdout)["services"])
    assert "database service db-shop has no healthcheck" in problems
    assert "web waits for db-shop to be healthy; it has no healthcheck" in problems


def test_every_build_context_and_bind_mount_exists(services):
    """web, migrate and relay build from a real context and Dockerfile; every bind source exists."""
    built = 0
    for name, service in services.items():
        if build := service.get("build"):
            context = REPO / build["context"]
            assert context.is_dir(), name
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
            built += 1
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert (REPO / volume["source"]).exists(), f"{name}: {volume['source']}"
    assert built == 3


def test_the_outbox_relay_runs_for_good_once_migrations_are_done(services):
    relay = services["relay"]
    assert relay["command"][:4] == ["python", "manage.py", "outbox_relay", "--forever"]
    assert relay["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert relay["restart"] == "unless-stopped"
    assert relay["environment"]["DATABASE_URL"] == services["web"]["environment"]["DATABASE_URL"]


def test_the_site_is_published_on_loopback_only_by_default(services):
    (published,) = services["web"]["ports"]
    assert (published["host_ip"], published["published"], published["target"]) == (
        "127.0.0.1",
        "8000",
        8000,
    )


def test_web_runs_gunicorn_with_debug_off_and_collected_static(services):
    """gunicorn on port 8000, DEBUG off, whitenoise pointed at the image's collectstatic output."""
    web = services["web"]
    assert web["command"][:3] == ["gunicorn", "-c", "docker/gunicorn.conf.py"]
    assert (REPO / web["command"][2]).is_file()
    assert web["command"][3] == "project.wsgi"
    environment = web["environment"]
    assert environment["DJANGO_DEBUG"] == "false"
    assert {"localhost", "127.0.0.1"} <= set(environment["DJANGO_ALLOWED_HOSTS"].split(","))
    static_root = re.search(r"DJANGO_STATIC_ROOT=(\S+)", DOCKERFILE.read_text()).group(1)
    assert environment["DJANGO_STATIC_ROOT"] == static_root
    assert [(p["target"], p["published"]) for p in web["ports"]] == [(8000, "8000")]


def test_web_starts_after_every_database_and_the_migrate_step(services):
    """web waits for every server to be healthy and for migrate and subscribe to exit with 0."""
    expected = {name: "service_healthy" for name in database_services(services)}
    expected["migrate"] = "service_completed_successfully"
    expected["subscribe"] = "service_completed_successfully"
    conditions = {name: d["condition"] for name, d in services["web"]["depends_on"].items()}
    assert conditions == expected


def test_web_stops_gracefully_before_docker_kills_it(services):
    """stop_grace_period outlasts gunicorn's graceful_timeout, so requests in flight finish."""
    settings = runpy.run_path(str(REPO / "docker" / "gunicorn.conf.py"))
    grace = services["web"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace), grace
    assert int(grace[:-1]) > settings["graceful_timeout"]


def test_migrate_waits_for_every_alias_then_migrates_and_loads_the_demo(services):
    """One-shot, in order, with the same database URLs the site uses."""
    migrate = services["migrate"]
    script = " ".join(migrate["command"])
    steps = ["docker/web/wait_for_databases.py", "manage.py migrate_all", "manage.py load_demo"]
    assert [script.find(step) for step in steps] == sorted(script.find(step) for step in steps)
    assert all(step in script for step in steps)
    assert migrate["restart"] == "no"
    assert set(migrate["depends_on"]) == set(database_services(services))
    assert migrate["environment"] == {
        k: v for k, v in services["web"]["environment"].items() if not k.startswith("GUNICORN")
    }


def test_the_shared_role_file_and_initdb_scripts_reach_every_primary(services):
    """Each of the site's primaries mounts roles.sql and the initdb scripts read-only."""
    for name, service in database_services(services).items():
        if "PRIMARY_HOST" in service["environment"]:
            continue  # the standby gets its roles from the base backup
        if name in legacy_hosts(services):
            continue  # another system's server, with roles of its own (below)
        targets = {v["target"]: v for v in service["volumes"]}
        assert targets["/docker/postgres/roles.sql"]["read_only"], name
        assert targets["/docker-entrypoint-initdb.d"]["read_only"], name
        assert Path(targets["/docker-entrypoint-initdb.d"]["source"]) == (
            REPO / "docker" / "postgres" / "initdb"
        ), name
        assert any(v["type"] == "volume" for v in service["volumes"]), f"{name}: no data volume"


def test_copy_of_the_compose_file_still_resolves_outside_the_repository(tmp_path, clean_home):
    """The negative tests above break a copy; the unbroken copy resolves there too."""
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    result = compose(
        "config", "--quiet", home=clean_home, compose_file=tmp_path / "docker-compose.yml"
    )
    assert result.returncode == 0, result.stderr
