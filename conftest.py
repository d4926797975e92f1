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
