"""DEMO_MODE=false turns the demo's extras off and passes Django's deployment checklist.

On (the default), pages show the routing trace, the demo logins and each
database's server address. Off, none of the three, and ``manage.py check
--deploy`` with compose's production-like settings finds nothing. The trace,
when it is on, never prints query parameters.
"""

import pytest
from django.test import override_settings

from tests.subprocess_env import database_env, manage

SECRET = "x7Kq9vR2mW4pL8sT1nB6cF3hJ5dG0aZeYuIoPlMkNjHbVgCfXdSwQaEr"  # test-only, 56 chars


def deploy_env(tmp_path, **variables) -> dict[str, str]:
    """The environment compose gives the web service, on throwaway SQLite files."""
    return database_env(tmp_path) | {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "shop.example.org",
        **variables,
    }


def test_check_deploy_is_clean_with_demo_mode_off(tmp_path):
    finished = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=deploy_env(tmp_path, DEMO_MODE="false")
    )
    assert finished.returncode == 0, finished.stderr
    assert "System check identified no issues" in finished.stdout


def test_demo_mode_on_is_what_check_deploy_warns_about(tmp_path):
    finished = manage("check", "--deploy", env=deploy_env(tmp_path))
    assert "security.W012" in finished.stderr  # SESSION_COOKIE_SECURE: the demo runs on http


def test_demo_mode_off_switches_the_trace_off_unless_asked_for(tmp_path):
    def routing_trace(**variables) -> str:
        show = "from django.conf import settings; print(settings.ROUTING_TRACE)"
        finished = manage("shell", "-c", show, env=deploy_env(tmp_path, **variables))
        return finished.stdout.splitlines()[-1]

    assert routing_trace() == "True"
    assert routing_trace(DEMO_MODE="false") == "False"
    assert routing_trace(DEMO_MODE="false", ROUTING_TRACE="true") == "True"


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db", "shard_0", "shard_1"])
@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_pages_show_no_demo_logins_or_server_addresses_with_demo_mode_off(client, path):
    from django.conf import settings

    location = str(settings.DATABASES["blog_db"].get("NAME"))
    shown = client.get(path).content.decode()
    assert "multidb-demo" in shown
    with override_settings(DEMO_MODE=False, ROUTING_TRACE=False):
        hidden = client.get(path).content.decode()
    assert "multidb-demo" not in hidden and "routing-trace" not in hidden
    if path == "/" and settings.DATABASES["blog_db"].get("HOST"):
        location = settings.DATABASES["blog_db"]["HOST"]
    assert location not in hidden


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
def test_the_routing_trace_never_prints_query_parameters(client):
    marker = "zq-parameter-marker-77"
    content = client.get("/blog/", {"author": marker}).content.decode()
    panel = content[content.index('<section id="routing-trace"') :]
    panel = panel[: panel.index("</section>")]
    assert "accounts_user" in panel  # the author lookup ran and is listed ...
    assert marker not in panel  # ... with its placeholder, not the value
