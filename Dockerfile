# The web image: used by the web and migrate services of docker-compose.yml.
# Runtime requirements only; the test tools stay in requirements-dev.txt.
FROM python:3.11.15-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_STATIC_ROOT=/app/staticfiles

WORKDIR /app

# A fixed id, so files on a bind mount or volume can be given to it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

# Requirements first: the slow layer is rebuilt only when they change. The lock
# file (make lock) pins every package with its hashes; pip refuses anything else.
# psycopg[binary] brings its own libpq, so no compiler or libpq-dev is needed.
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

# Owned by root and read-only to the app user: the running site can't change its code.
COPY . .

# settings.py needs a secret key to import; this throwaway one exists for this
# step only (otherwise a random one would be written into var/ and baked into
# the image). The real key comes from the environment at run time.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
        python manage.py collectstatic --noinput --verbosity 0 \
    && install --directory --owner app --group app /app/var

# Numeric, so the runtime can tell it isn't root without reading /etc/passwd.
USER 10001:10001

EXPOSE 8000

# Liveness: /health/live/ opens no database connection, so a database outage
# never marks the container unhealthy (a restart cures none); a load balancer
# asks /health/ready/ instead, 503 while a primary is down. No curl in slim.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live/', timeout=4)"]

CMD ["gunicorn", "-c", "docker/gunicorn.conf.py", "project.wsgi"]
