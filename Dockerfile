# stmails: one image for web (gunicorn), Celery worker, Celery beat and migrate.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=stmails.settings \
    STMAILS_VAR_DIR=/var/lib/stmails \
    # Templates and static files are found beside the code (settings.BASE_DIR),
    # so the code runs from /app rather than from site-packages.
    PYTHONPATH=/app

WORKDIR /app

# The pinned dependencies of pyproject.toml, in a layer of their own that is
# rebuilt only when pyproject.toml changes. The code itself is not installed
# into site-packages: it runs from /app (PYTHONPATH), beside templates/ and static/.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

RUN useradd --system --uid 10001 --home-dir /var/lib/stmails --shell /usr/sbin/nologin stmails \
    && mkdir -p /var/lib/stmails/static /var/lib/stmails/imports \
    && chown -R stmails:stmails /var/lib/stmails
USER stmails
VOLUME ["/var/lib/stmails"]

EXPOSE 9000
CMD ["gunicorn", "stmails.wsgi", "--bind", "0.0.0.0:9000", "--access-logfile", "-", "--logger-class", "stmails.gunicorn_logging.RedactingGunicornLogger", "--no-control-socket"]
