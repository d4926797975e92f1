"""Gunicorn settings for the web container: ``gunicorn -c docker/gunicorn.conf.py project.wsgi``.

Every value can be changed from the environment without rebuilding the image.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Processes times threads is the number of requests served at once. Each
# thread holds its own connection to every database it touches, so keep the
# product under the servers' max_connections (100 by default).
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)

# A worker silent for this long is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (docker stop), requests in flight get this long to finish; the
# compose service's stop_grace_period is longer, so Docker doesn't SIGKILL first.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Logs to stdout/stderr, where `docker compose logs` reads them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The heartbeat file on tmpfs: a disk-backed /tmp can stall workers.
# https://docs.gunicorn.org/en/stable/faq.html#blocking-os-fchmod
worker_tmp_dir = "/dev/shm"
# The runtime control socket would go in $HOME, which the image keeps read-only.
control_socket_disable = True
