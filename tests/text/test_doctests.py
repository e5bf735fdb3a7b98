"""The examples in the docstrings of surveyapp.text run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["normalize", "tokenize", "language", "stemming", "negation", "tagging"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"surveyapp.text.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
