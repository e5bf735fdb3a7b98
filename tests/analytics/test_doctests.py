"""The examples in the analytics docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import surveyapp.analytics

# Every analytics module, so a new one is covered without editing this list.
MODULES = sorted(
    module.name
    for module in pkgutil.iter_modules(surveyapp.analytics.__path__, "surveyapp.analytics.")
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
