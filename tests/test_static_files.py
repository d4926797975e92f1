"""Collected static files are hashed and compressed; a root without its manifest fails the check.

With ``DJANGO_STATIC_ROOT`` (the Docker image sets it and runs collectstatic),
``STORAGES["staticfiles"]`` is whitenoise's compressed manifest storage: each
file's name carries its content hash and whitenoise serves it gzipped with a
year-long, immutable Cache-Control. Without the variable (``make demo``,
runserver, the tests) the app folders are served as they are. A root that
collectstatic hasn't filled is ``project.E003``, naming the variable.
"""

from tests.subprocess_env import database_env, manage

FETCH_THE_FAVICON = """
from django.test import Client
from django.templatetags.static import static
url = static("core/favicon.svg")
response = Client(SERVER_NAME="127.0.0.1").get(url, headers={"accept-encoding": "gzip"})
print(url, response.status_code, response["Content-Encoding"], response["Cache-Control"])
"""


def test_a_static_root_without_collectstatic_fails_the_check_naming_the_variable(tmp_path):
    env = {**database_env(tmp_path), "DJANGO_STATIC_ROOT": str(tmp_path / "static")}
    result = manage("check", env=env)
    assert result.returncode == 1
    assert "DJANGO_STATIC_ROOT: (project.E003)" in result.stderr
    assert "staticfiles.json is missing: collectstatic hasn't run there" in result.stderr


def test_collected_files_are_served_hashed_gzipped_and_cached_for_good(tmp_path):
    root = tmp_path / "static"
    env = {**database_env(tmp_path), "DJANGO_STATIC_ROOT": str(root)}
    collected = manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    assert manage("check", env=env).returncode == 0
    [hashed] = (root / "core").glob("favicon.*.svg")
    assert (root / "core" / f"{hashed.name}.gz").exists()

    fetched = manage("shell", "--no-imports", "-c", FETCH_THE_FAVICON, env=env)
    assert fetched.returncode == 0, fetched.stderr
    url, status, encoding, cache = fetched.stdout.split(maxsplit=3)
    assert (url, status, encoding) == (f"/static/core/{hashed.name}", "200", "gzip")
    assert "immutable" in cache


def test_without_a_static_root_the_app_folders_are_served_unhashed(client, settings):
    assert settings.STATIC_ROOT is None
    assert settings.STORAGES["staticfiles"]["BACKEND"].endswith(".StaticFilesStorage")
    assert client.get("/favicon.ico")["Location"] == "/static/core/favicon.svg"
