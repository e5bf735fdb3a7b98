"""Configuration: defaults, then ``instance/config.py``, then ``SURVEYAPP_*`` variables.

The secret key is generated once into the instance folder (mode 0600) so a
fresh clone runs without any configuration and keeps its sessions across restarts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

__all__ = ["DEFAULTS", "ConfigError", "load"]

SECRET_KEY_FILE = "secret_key"
SQLITE_FILE = "surveyapp.db"

DEFAULTS: dict[str, Any] = {
    "BASE_URL": "http://127.0.0.1:5000",
    "MAIL_URL": "log",
    "MAIL_FROM": "surveys@localhost",
    "REDIS_URL": None,
    "COMPANY_NAME": "Our company",
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": ["en", "fr"],
    # Respondent text answers longer than this are refused, never truncated.
    "MAX_TEXT_ANSWER_LENGTH": 5000,
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    # A contact is not surveyed again within this many days, across all surveys.
    "THROTTLE_DAYS": 90,
    # An outbox message that failed this many times (temporary errors) is given up.
    "OUTBOX_MAX_ATTEMPTS": 8,
    # SMTP connections the worker sends a batch over at once (one thread each).
    "SMTP_CONNECTIONS": 3,
    "CONTACT_IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    # Where a previewed contact CSV waits for confirmation (None: instance/contact_imports).
    "CONTACT_IMPORT_DIR": None,
    # Anonymity threshold k: groups of fewer responses are withheld (never below 3).
    "REPORTING_THRESHOLD": 5,
    # IANA time zone of periods and pulse waves; run `flask rebuild-rollups` after changing it.
    "TIMEZONE": "UTC",
    # How many reverse proxies set each X-Forwarded-* header (0: trust none).
    "PROXY_FIX_X_FOR": 0,
    "PROXY_FIX_X_PROTO": 0,
    "PROXY_FIX_X_HOST": 0,
    "PROXY_FIX_X_PORT": 0,
    "PROXY_FIX_X_PREFIX": 0,
    "API_MAX_BODY_BYTES": 1024 * 1024,
    # "text" or "json" (one JSON object per line, for log collectors).
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
    # Instant alerts wait this long for others to batch with; digests go out at this hour (UTC).
    "ALERT_BATCH_SECONDS": 45,
    "ALERT_DIGEST_HOUR": 8,
    # Webhooks (docs/webhooks.md): private, loopback and link-local targets are refused
    # unless allowed here (an intranet receiver); timeouts in seconds; a delivery is given
    # up after WEBHOOK_MAX_ATTEMPTS tries spaced base × 2^n seconds, capped; the worker
    # deletes finished deliveries older than WEBHOOK_LOG_DAYS.
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": False,
    "WEBHOOK_CONNECT_TIMEOUT": 5.0,
    "WEBHOOK_READ_TIMEOUT": 10.0,
    "WEBHOOK_MAX_ATTEMPTS": 12,
    "WEBHOOK_RETRY_BASE_SECONDS": 60,
    "WEBHOOK_RETRY_CAP_SECONDS": 6 * 3600,
    "WEBHOOK_LOG_DAYS": 30,
    # PEM file of the CAs that sign receivers' certificates (None: the system's CAs).
    "WEBHOOK_CA_FILE": None,
    # Deliveries POSTed at once by one worker (one thread each).
    "WEBHOOK_CONNECTIONS": 4,
    # Argon2id parameters, a name from argon2.profiles.
    "ARGON2_PROFILE": "RFC_9106_LOW_MEMORY",
}


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def load(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` from the defaults, the instance file and the environment."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SURVEYAPP")
    else:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / SQLITE_FILE}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    if app.config["BASE_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")


def _instance_secret_key(instance: Path) -> str:
    """Return the key kept in the instance folder, creating it (0600) on first start."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if not key:
            raise ConfigError(f"{path} is empty: delete it to generate a new key") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key
