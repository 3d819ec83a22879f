"""The journey file: how the audit's browser gets through a site it knows nothing about.

TOML (read with the standard library's ``tomllib``: PyYAML is not among the kit's
dependencies). Every phase is a list of steps, each one action on the current page::

    support = "help@example.org"          # the contact the site's error pages show (DM-8)
    display = ["/profile"]                # pages that show a connected person's iD
    sign_in = [{goto = "/login"}, {fill = {"#user" = "ada"}}, {click = "text=Sign in"}]
    connect = [{goto = "/profile"}, {click = "text=Connect your ORCID iD"}]
    write = [{goto = "/profile"}, {click = "#add-work"}]          # optional
    update = [{goto = "/profile"}, {click = "#update-work"}]      # optional
    disconnect = [{goto = "/profile"}, {click = "text=Disconnect"}]  # optional

    [researcher]                          # optional: the test researcher the audit creates
    given_names = "Ada"
    family_names = "Lovelace"

A step is ``goto`` (a path on the site, or a full URL), ``click`` or ``fill`` (Playwright
selectors; ``fill`` maps selectors to values) or ``wait_for`` (a selector). ``connect`` ends
with the click that sends the browser to ORCID; the audit then signs in and answers ORCID's
pages itself.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the phases whose value is a list of steps
PHASES = ("sign_in", "connect", "write", "update", "disconnect")
STEP_KINDS = ("goto", "click", "fill", "wait_for")
_KEYS = {*PHASES, "display", "support", "researcher"}
_RESEARCHER_KEYS = ("given_names", "family_names", "email")


class JourneyError(ValueError):
    """The journey file is not usable; the message says what to fix."""


@dataclass(frozen=True)
class Step:
    """One action: ``kind`` is one of :data:`STEP_KINDS`."""

    kind: str
    value: Any

    def describe(self) -> str:
        """The step in words, for evidence (fill values are not shown: they may be secrets)."""
        if self.kind == "fill":
            return "fill " + ", ".join(self.value)
        return f"{self.kind} {self.value}"


@dataclass
class Journey:
    """A parsed journey file."""

    connect: list[Step]
    sign_in: list[Step] = field(default_factory=list)
    write: list[Step] = field(default_factory=list)
    update: list[Step] = field(default_factory=list)
    disconnect: list[Step] = field(default_factory=list)
    display: list[str] = field(default_factory=list)
    support: str = ""
    researcher: dict[str, str] = field(default_factory=dict)


def load_journey(path: str | Path) -> Journey:
    """Read and check a journey file; raises :class:`JourneyError` saying what is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise JourneyError(f"cannot read the journey file {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise JourneyError(f"the journey file {path} is not valid TOML: {exc}") from None
    return parse_journey(data)


def parse_journey(data: dict[str, Any]) -> Journey:
    """A :class:`Journey` from the file's data (see the module docstring)."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise JourneyError(f"unknown journey key(s) {', '.join(unknown)}; known: "
                           f"{', '.join(sorted(_KEYS))}")
    phases = {name: _steps(name, data.get(name, [])) for name in PHASES}
    if not phases["connect"]:
        raise JourneyError("the journey needs 'connect': the steps that end with the click "
                           "sending the browser to ORCID")
    display = data.get("display", [])
    if isinstance(display, str):
        display = [display]
    if not isinstance(display, list) or not all(isinstance(p, str) and p for p in display):
        raise JourneyError("'display' must be a list of pages (paths or URLs)")
    support = data.get("support", "")
    if not isinstance(support, str):
        raise JourneyError("'support' must be text: the contact the site's error pages show")
    researcher = data.get("researcher", {})
    if not isinstance(researcher, dict) or not all(
            key in _RESEARCHER_KEYS and isinstance(value, str)
            for key, value in researcher.items()):
        raise JourneyError("'researcher' may only hold given_names, family_names and email "
                           "(text)")
    return Journey(display=display, support=support.strip(), researcher=researcher, **phases)


def _steps(phase: str, raw: Any) -> list[Step]:
    if not isinstance(raw, list):
        raise JourneyError(f"'{phase}' must be a list of steps, e.g. [{{goto = \"/\"}}]")
    steps = []
    for number, item in enumerate(raw, 1):
        where = f"'{phase}' step {number}"
        if not isinstance(item, dict) or len(item) != 1:
            raise JourneyError(f"{where} must have exactly one of {', '.join(STEP_KINDS)}")
        ((kind, value),) = item.items()
        if kind not in STEP_KINDS:
            raise JourneyError(f"{where}: unknown action {kind!r}; use one of "
                               f"{', '.join(STEP_KINDS)}")
        if kind == "fill":
            if not isinstance(value, dict) or not value or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise JourneyError(f"{where}: 'fill' maps selectors to text values")
        elif not isinstance(value, str) or not value.strip():
            raise JourneyError(f"{where}: '{kind}' needs a selector or URL (text)")
        steps.append(Step(kind, value))
    return steps
