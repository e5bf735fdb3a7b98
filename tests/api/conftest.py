"""Fixtures of the API tests: keys of each scope and their Authorization headers."""

from __future__ import annotations

import pytest
from flask import Flask

from surveyapp.services import api_keys


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header for ``secret``."""
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def write_headers(app: Flask) -> dict[str, str]:
    """Headers carrying a new write key."""
    _key, secret = api_keys.create_api_key("test writer", "write")
    return bearer(secret)


@pytest.fixture
def read_headers(app: Flask) -> dict[str, str]:
    """Headers carrying a new read key."""
    _key, secret = api_keys.create_api_key("test reader", "read")
    return bearer(secret)
