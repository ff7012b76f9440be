# Baseline: one image for the web process (gunicorn), the Celery worker and Celery beat.
#   docker build -t baseline .
# Configuration comes from the environment at run time; see .env.example and docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    BASELINE_DATA_DIR=/var/lib/baseline

# The processes run as this unprivileged user; the code and static files stay owned by root.
RUN groupadd --system --gid 10001 baseline \
    && useradd --system --uid 10001 --gid baseline --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin baseline

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .

# Production settings refuse to load without these. The values are throwaway placeholders
# for this one step (visible in the image history, never in its environment); REDIS_URL keeps
# the settings from creating filesystem-broker folders in the image.
RUN SECRET_KEY=build-only-collectstatic-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

# Writable data folder (used for the filesystem broker only when REDIS_URL is unset).
RUN mkdir -p "$BASELINE_DATA_DIR" && chown baseline:baseline "$BASELINE_DATA_DIR"

USER baseline

EXPOSE 8000

# ALLOWED_HOSTS rejects 127.0.0.1, so the check sends the first allowed host as Host.
# /healthz is exempt from SECURE_SSL_REDIRECT; a 503 raises, which exits non-zero.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = h if h not in ('', '*') else 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=8)"]

# 2 x cores + 1 workers: 5 suits 2 cores. Set WEB_CONCURRENCY to change it.
CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-5} --access-logfile -"]
