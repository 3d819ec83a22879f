"""The three parts depend one way: the add-on imports nothing of the emulator, the demo or the
compliance kit; the emulator imports nothing else of ours; the demo does not import the kit.

Read from the source (every ``import``, at any depth, relative ones resolved), so an import
hidden in a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "orcid_pyramid"
PARTS = ("emulator", "demo", "compliance")
#: the commands of the other parts; ``orcid-pyramid`` loads a command only when it runs
FRONT_ENDS = {"cli/emulator.py": "emulator", "cli/report.py": "compliance",
              "cli/audit.py": "compliance"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports (``from x import y`` also counts ``x.y``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def part_of(path: Path) -> str:
    """``addon``, ``emulator``, ``demo`` or ``compliance``."""
    relative = path.relative_to(PACKAGE).as_posix()
    if relative in FRONT_ENDS:
        return FRONT_ENDS[relative]
    first = relative.split("/", 1)[0]
    return first if first in PARTS else "addon"


def _modules(part: str) -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if part_of(p) == part]


def _uses(path: Path, part: str) -> list[str]:
    return sorted(n for n in imported_names(path)
                  if n == f"orcid_pyramid.{part}" or n.startswith(f"orcid_pyramid.{part}."))


@pytest.mark.parametrize("other", PARTS)
def test_no_module_of_the_addon_imports_another_part(other):
    offenders = {p.relative_to(PACKAGE).as_posix(): _uses(p, other) for p in _modules("addon")}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_emulator_imports_nothing_else_of_ours():
    offenders = {}
    for path in _modules("emulator"):
        ours = [n for n in imported_names(path)
                if n.startswith("orcid_pyramid") and not n.startswith("orcid_pyramid.emulator")
                and n != "orcid_pyramid"]
        if ours:
            offenders[path.relative_to(PACKAGE).as_posix()] = ours
    assert not offenders


def test_the_demo_does_not_import_the_compliance_kit():
    offenders = {p.relative_to(PACKAGE).as_posix(): _uses(p, "compliance")
                 for p in _modules("demo")}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path):
    """The walk finds a function-level relative import, the kind the add-on's lazy imports use."""
    hidden = PACKAGE / "sync" / "worker.py"
    names = imported_names(hidden)
    assert "orcid_pyramid.client.factory" in names  # ``from ..client.factory import ...``
    assert part_of(PACKAGE / "cli" / "report.py") == "compliance"
    assert part_of(hidden) == "addon"
