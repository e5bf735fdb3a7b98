"""The layering of STYLE.md, checked on the imports of every module (parsed with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "surveyapp"

# layer (a folder under surveyapp/) -> module prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "web": ("sqlalchemy", "surveyapp.db", "surveyapp.models.base"),
    "forms": ("sqlalchemy", "surveyapp.db", "surveyapp.services.reporting"),
    "analytics": (
        "flask",
        "sqlalchemy",
        "surveyapp.db",
        "surveyapp.models",
        "surveyapp.services",
        "surveyapp.web",
        "textblob",
    ),
    "models": ("flask", "surveyapp.services", "surveyapp.web", "surveyapp.forms"),
    "services": ("surveyapp.web", "surveyapp.forms"),
    "text": (
        "flask",
        "sqlalchemy",
        "surveyapp.db",
        "surveyapp.models",
        "surveyapp.services",
        "surveyapp.web",
        "surveyapp.forms",
    ),
}
# Third-party libraries that only one module may import.
ONLY_IN: dict[str, str] = {"textblob": "text/sentiment.py", "textblob_fr": "text/sentiment.py"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name imported by the file at ``path``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _layer(path: Path) -> str | None:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else None


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_its_layer(path: Path) -> None:
    layer = _layer(path)
    imports = imported_modules(path)
    for forbidden in FORBIDDEN.get(layer or "", ()):
        offending = sorted(name for name in imports if _matches(name, forbidden))
        assert not offending, f"{layer}/ must not import {forbidden}: {offending}"
    module = str(path.relative_to(PACKAGE))
    for library, home in ONLY_IN.items():
        if module != home:
            offending = sorted(name for name in imports if _matches(name, library))
            assert not offending, f"only {home}/ may import {library}: {offending}"


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy as sa\nfrom surveyapp import db\n", encoding="utf-8")
    assert {"sqlalchemy", "surveyapp", "surveyapp.db"} <= imported_modules(sample)
