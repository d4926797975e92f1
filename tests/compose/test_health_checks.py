"""The image's HEALTHCHECK and compose's web healthcheck ask the liveness URL.

Liveness (``/health/live/``) opens no database connection
(apps/core/tests/test_health_probes.py), so a database outage never marks
the container unhealthy: restarting it would cure nothing. Both commands
are read from the files (the Dockerfile, and compose's resolved model), and
the path they fetch is resolved by the project's own URLconf.
"""

import json
import re
from urllib.parse import urlsplit

from django.urls import resolve

from tests.compose.conftest import DOCKERFILE

URL = re.compile(r"urlopen\('([^']+)'")


def image_healthcheck() -> list[str]:
    """The exec form of the Dockerfile's ``HEALTHCHECK ... CMD [...]``."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    (line,) = [line for line in text.splitlines() if line.startswith("HEALTHCHECK ")]
    return json.loads(line.split(" CMD ", 1)[1])


def fetched(test: list[str]) -> str:
    """The URL a ``python -c "...urlopen('URL', ...)"`` health check fetches."""
    assert test[:2] == ["python", "-c"], test
    (url,) = URL.findall(test[2])
    return url


def test_the_image_healthcheck_asks_the_liveness_url_on_gunicorns_port():
    url = urlsplit(fetched(image_healthcheck()))
    assert (url.scheme, url.netloc) == ("http", "127.0.0.1:8000")
    assert resolve(url.path).url_name == "health_live"


def test_compose_web_healthcheck_is_the_images_liveness_check(services):
    test = services["web"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert test[1:] == image_healthcheck()
    assert resolve(urlsplit(fetched(test[1:])).path).url_name == "health_live"


def test_the_services_that_run_no_server_switch_the_images_healthcheck_off(services):
    """migrate and relay use the web image but serve no HTTP: its check could never pass."""
    for name in ("migrate", "relay"):
        assert services[name]["healthcheck"]["disable"] is True, name
