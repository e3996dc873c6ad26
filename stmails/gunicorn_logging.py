"""gunicorn's logger class for stmails (bin/run, the Dockerfile and docker-compose
pass --logger-class stmails.gunicorn_logging.RedactingGunicornLogger).

The access log writes the request line, query string included: a provider that
delivers to `?code=<secret>` would leave its secret on every line.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from stmails.log_redaction import RedactSecretsFilter


class RedactingGunicornLogger(Logger):
    """gunicorn's logger (--logger-class) with secrets hidden in access and
    error lines: the request line carries the query string."""

    def setup(self, cfg) -> None:  # noqa: ANN001 (gunicorn's Config)
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())
