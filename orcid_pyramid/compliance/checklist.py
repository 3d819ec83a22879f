"""ORCID's review checklist, read from the project's ``checklist.md``.

The checklist is data: every feature tag, registered marker and report row comes from it, so a
requirement added to the Markdown shows up everywhere (and fails the build until a scenario
covers it).

The file is the ``ORCID_CHECKLIST`` environment variable's when it is set, else the one shipped
in this package.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

#: the copy that ships with the package, so an installed add-on still has its checklist
PACKAGED_CHECKLIST = Path(__file__).with_name("checklist.md")

#: area tag per checklist section; a section not listed gets a slug of its heading
AREA_TAGS = {
    "review basics": "review-basics",
    "data management": "data-management",
    "best practices": "best-practices",
    "collect & connect elements (badges)": "collect-connect",
}

#: badge IDs are those of the Collect & Connect section
BADGE_AREA = "collect-connect"

_ID_ROW = re.compile(r"^\|\s*(?P<id>[A-Z]+-[A-Z0-9]+)\s*\|(?P<rest>.*)\|\s*$")


@dataclass(frozen=True)
class Requirement:
    """One checklist line: its ID, its wording, what "met" looks like and its area tag."""

    id: str
    title: str
    met: str
    area: str
    section: str

    @property
    def is_badge(self) -> bool:
        """True for the Collect & Connect elements, which earn a badge."""
        return self.area == BADGE_AREA


def area_tag(heading: str) -> str:
    """The tag for a checklist section heading (``Data management`` -> ``data-management``)."""
    key = heading.strip().lower()
    if key in AREA_TAGS:
        return AREA_TAGS[key]
    return re.sub(r"[^a-z0-9]+", "-", key).strip("-")


def find_checklist() -> Path:
    """The checklist file to use: ``$ORCID_CHECKLIST``, else the packaged copy."""
    override = os.environ.get("ORCID_CHECKLIST")
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError(f"ORCID_CHECKLIST points at {path}, which is not a file")
        return path
    return PACKAGED_CHECKLIST


def parse_checklist(text: str) -> list[Requirement]:
    """Every requirement row of the Markdown tables, in document order.

    A row is ``| ID | wording | what met looks like |``; a ``##`` heading starts a section.
    """
    requirements: list[Requirement] = []
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        match = _ID_ROW.match(line.strip())
        if not match:
            continue
        cells = [cell.strip() for cell in match.group("rest").split("|")]
        title = cells[0] if cells else ""
        met = cells[1] if len(cells) > 1 else ""
        requirements.append(
            Requirement(
                id=match.group("id"),
                title=title,
                met=met,
                area=area_tag(section),
                section=section,
            )
        )
    seen: set[str] = set()
    for requirement in requirements:
        if requirement.id in seen:
            raise ValueError(f"checklist lists {requirement.id} twice")
        seen.add(requirement.id)
    return requirements


def load_checklist(path: Path | None = None) -> list[Requirement]:
    """Parse the checklist at ``path`` (default: :func:`find_checklist`)."""
    source = path or find_checklist()
    return parse_checklist(source.read_text(encoding="utf-8"))


def areas(requirements: list[Requirement]) -> dict[str, str]:
    """Area tag -> section heading, in document order."""
    result: dict[str, str] = {}
    for requirement in requirements:
        result.setdefault(requirement.area, requirement.section)
    return result
