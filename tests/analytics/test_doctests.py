"""The examples in the analytics docstrings run and give what they say."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

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


def test_analytics_import_neither_flask_nor_sqlalchemy() -> None:
    for path in Path(surveyapp.analytics.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {n.split(".")[0] for n in names} & {"flask", "sqlalchemy"}, path.name
