"""The exceptions services raise; the web layer maps them to pages and statuses."""

from __future__ import annotations

__all__ = ["Conflict", "Gone", "InvalidInput", "NotFound", "ServiceError"]


class ServiceError(Exception):
    """Base of every error a service raises on purpose; ``str()`` is a user-facing message."""


class NotFound(ServiceError):
    """The thing asked for does not exist (or may not be revealed)."""


class Gone(ServiceError):
    """The thing exists but no longer accepts this action (a closed survey)."""


class InvalidInput(ServiceError):
    """The input breaks a rule; ``field`` names the offending field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Conflict(ServiceError):
    """The action clashes with the current state (a duplicate, a second answer)."""
