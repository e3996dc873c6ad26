"""Read configuration from the environment, failing loudly on bad values.

Every secret may come from a file instead: ``SECRET_KEY_FILE=/run/secrets/key``
wins over ``SECRET_KEY`` (the Docker secrets convention).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    """The variable, or its *_FILE variant's contents, or the default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            with open(file_name, encoding="utf-8") as f:
                return f.read().strip()
        except OSError as e:
            raise ImproperlyConfigured(
                f"{name}_FILE: cannot read {file_name!r}: {e.strerror}"
            ) from e
    return os.environ.get(name, default)


def env_secret(name: str, kept_in: Path) -> str | None:
    """The variable, its *_FILE, or else the file `make run` generated.

    `make run` keeps its secrets in $STMAILS_VAR_DIR (mode 600), so a later
    `manage.py ...` in the same checkout must find them there with no variable
    set; otherwise a command would start with other keys than the server.
    """
    value = env_str(name)
    if value:
        return value
    try:
        return kept_in.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ImproperlyConfigured(
            f"{name}: cannot read {str(kept_in)!r}: {e.strerror}"
        ) from e


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    value = env_str(name, default) or default
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={value!r}: the scheme must be one of {', '.join(schemes)}"
        )
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise ImproperlyConfigured(f"{name}={value!r} has no host name")
    return value
