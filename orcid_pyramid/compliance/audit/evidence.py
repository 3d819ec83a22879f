"""The audit's checks as the report's scenario records, and the call-log helpers they share.

A check is one scenario record as the compliance plugin writes them (``scenario``,
``feature``, ``ids``, ``tags``, ``status`` pass/fail/skip, ``message``, ``items``), so the
report writer turns them into the same rows, statuses and evidence as a suite run: a skipped
check is ``not-checked`` with its message as the reason.
"""

from __future__ import annotations

import re
from typing import Any

from ..evidence import scrub
from .pages import redact_url

FEATURE = "Audit from outside (browser and emulator)"
_PUT_CODE = re.compile(r"^/v[\d.]+/[^/]+/[a-z-]+/\d+(,\d+)*$")
#: sections of the person part of a record (``/person/update``); the rest are activities
PERSON_SECTIONS = frozenset({
    "other-names", "researcher-urls", "keywords", "external-identifiers", "address",
    "addresses", "biography", "personal-details", "person", "email", "emails"})


def check(rid: str, name: str, outcome: bool | None, message: str = "",
          items: list[dict] | None = None) -> dict[str, Any]:
    """One scenario record: ``outcome`` True passes, False fails, None is not checked."""
    status = {True: "pass", False: "fail", None: "skip"}[outcome]
    return {"scenario": name, "feature": FEATURE, "ids": [rid], "tags": [rid, "audit"],
            "status": status, "message": message, "duration": 0.0,
            "items": [scrub(item) for item in items or []]}


def calls_item(caption: str, calls: list[dict]) -> dict:
    """Emulator call-log rows as evidence."""
    rows = [{"method": c["method"], "scheme": c.get("scheme"), "host": c.get("host"),
             "path": c["path"], "status": c["status"]} for c in calls]
    return {"kind": "call_log", "caption": caption, "data": rows}


def url_item(caption: str, url: str | None) -> dict:
    """A URL (secret parameters redacted) as evidence."""
    return {"kind": "authorize_url", "caption": caption, "data": redact_url(url or "")}


def screenshot_item(caption: str, view) -> list[dict]:
    """A page's screenshot as evidence, when one was taken."""
    if view is None or not view.screenshot:
        return []
    return [{"kind": "screenshot", "caption": caption, "file": view.screenshot}]


def inner_path(call: dict) -> str:
    """The path within its ORCID host (the emulator's ``/api``/``/pub`` prefixes dropped)."""
    path = call["path"]
    for prefix in ("/api/", "/pub/"):
        if path.startswith(prefix):
            return path[len(prefix) - 1:]
    return path


def is_token_call(call: dict) -> bool:
    """A call to the token endpoint (on whichever host)."""
    return inner_path(call) == "/oauth/token"


def is_api_call(call: dict) -> bool:
    """A call to ORCID's API (member or public), not OAuth."""
    return call.get("host") in ("api", "pub") and not inner_path(call).startswith("/oauth/")


def section_of(call: dict) -> str:
    """The record section an API call touches (``work``, ``keywords``...), '' for none."""
    parts = [p for p in inner_path(call).split("/") if p]
    return parts[2] if len(parts) > 2 else ""


def has_put_code(call: dict) -> bool:
    """True when the call's path ends in a put code."""
    return bool(_PUT_CODE.match(inner_path(call)))


def writes(calls: list[dict]) -> list[dict]:
    """The API calls that change a record."""
    return [c for c in calls if is_api_call(c) and c["method"] in ("POST", "PUT", "DELETE")]
