"""Suite-wide policy: in CI (CI=true) any skipped test fails the run."""

from tests.support import in_ci


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if in_ci() and skipped and session.exitstatus == 0:
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) skipped; CI allows no skips, failing the run.",
            red=True,
        )
        session.exitstatus = 1


import pytest  # noqa: E402

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory  # noqa: E402

ALL_DATABASES = ["default", "replica", "blog_db", "shop_db"]


@pytest.fixture
def user(db):
    return UserFactory(username="john")


@pytest.fixture
def logged_in_client(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Hash test passwords with MD5: PBKDF2's million rounds would dominate the suite."""
    from django.test import override_settings

    hashers = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # the demo fixtures' hashes
    ]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield
