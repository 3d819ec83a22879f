"""REV-1's evidence: the bodies the site sent to ORCID, in ORCID's 3.0 XML, against ORCID's XSDs.

The bodies come from the add-on's own call log (what really went over the wire, as JSON);
each is parsed with the add-on's builders and rendered with their ``to_xml()`` (the XML form
of that same payload), then validated with ORCID's own schema: the copy of ORCID's
``orcid-model`` XSDs shipped in ``orcid_model/`` (MIT, ORCID Inc.), or the folder
``ORCID_MODEL_DIR`` names.
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
    "peer-review": "record_3.0/peer-review-3.0.xsd",
}
#: member-API write paths: ``/{orcid}/{section}`` (POST) or ``/{orcid}/{section}/{put code}``
_WRITE_PATH = re.compile(r"/\d{4}-\d{4}-\d{4}-\d{3}[\dX]/(works|[a-z-]+?)(?:/\d+)?(?:\?.*)?$")


#: ORCID's XSDs as shipped with the kit
PACKAGED_MODEL = Path(__file__).resolve().parent / "orcid_model"


def model_dir() -> Path:
    """The folder of ORCID's XSDs: ``$ORCID_MODEL_DIR``, else the packaged copy (a folder named
    by the variable may lack them: :func:`missing_reason`)."""
    configured = os.environ.get("ORCID_MODEL_DIR")
    return Path(configured) if configured else PACKAGED_MODEL


def missing_reason(folder: Path | None = None) -> str | None:
    """Why ORCID's XSDs cannot be used, with the setting that fixes it; None when they can."""
    folder = folder or model_dir()
    if all((folder / sub).is_dir() for sub in ("record_3.0", "common_3.0")):
        return None
    return (f"ORCID's 3.0 XSDs are not in {folder} (ORCID_MODEL_DIR): point ORCID_MODEL_DIR at a "
            "folder holding orcid-model's record_3.0/ and common_3.0/ "
            "(https://github.com/ORCID/orcid-model, src/main/resources), or unset it to use "
            f"the copy shipped in {PACKAGED_MODEL}")


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
