"""REV-1's evidence: the bodies the site sent to ORCID, in ORCID's 3.0 XML, against ORCID's XSDs.

The bodies come from the add-on's own call log (what really went over the wire, as JSON);
each is parsed with the add-on's builders and rendered with their ``to_xml()`` (the XML form
of that same payload), then validated with ORCID's own schema from ``orcid-model``
(``ORCID_MODEL_DIR``, else ``../shared/orcid-model`` beside the checkout).
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

#: the XSD of each item section the add-on writes
XSD_FILES = {
    "work": "record_3.0/work-3.0.xsd",
    "employment": "record_3.0/employment-3.0.xsd",
    "education": "record_3.0/education-3.0.xsd",
    "funding": "record_3.0/funding-3.0.xsd",
}
#: member-API write paths: ``/{orcid}/{section}`` (POST) or ``/{orcid}/{section}/{put code}``
_WRITE_PATH = re.compile(r"/\d{4}-\d{4}-\d{4}-\d{3}[\dX]/(works|[a-z-]+?)(?:/\d+)?(?:\?.*)?$")


def model_dir() -> Path:
    """ORCID's orcid-model folder (it may be absent)."""
    configured = os.environ.get("ORCID_MODEL_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "orcid-model"


@lru_cache(maxsize=8)
def schema(section: str):
    """lxml's compiled XSD of ``section``, or None when orcid-model is not there."""
    from lxml import etree

    path = model_dir() / XSD_FILES[section]
    if not path.is_file():
        return None
    return etree.XMLSchema(etree.parse(str(path)))


def sent_items(rows) -> list[tuple[str, str, dict]]:
    """(method, section, item JSON) for every item body in the call log's POSTs and PUTs.

    A bulk POST (``/works``) gives one entry per work in it.
    """
    found: list[tuple[str, str, dict]] = []
    for row in rows:
        if row.method not in ("POST", "PUT") or not row.request_body:
            continue
        match = _WRITE_PATH.search(row.url)
        if match is None:
            continue
        try:
            body: Any = json.loads(row.request_body)
        except ValueError:
            continue  # a body the log truncated cannot be checked; the call is still listed
        section = match.group(1)
        if section == "works":
            found += [(row.method, "work", entry["work"]) for entry in body.get("bulk", [])
                      if isinstance(entry, dict) and "work" in entry]
        elif section in XSD_FILES:
            found.append((row.method, section, body))
    return found


def validate(section: str, item: dict) -> list[str]:
    """The XSD's complaints about ``item`` as the builders render it in XML (empty: valid)."""
    from lxml import etree

    from orcid_pyramid.sync.builders import item_from_json

    xsd = schema(section)
    document = etree.fromstring(item_from_json(section, item, strict=False).to_xml())
    if xsd.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]
