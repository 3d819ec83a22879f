"""ORCID's v3.0 XSDs (orcid-model, MIT) for the XSD tests: where they are, loaded once.

The folder is ``../shared/orcid-model`` beside the checkout, or ``$ORCID_MODEL_DIR``. The
``schemas`` fixture (``conftest.py``) skips with a reason when it is absent (toolchain notes).
"""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

CHECKOUT = Path(__file__).resolve().parents[2]

#: root element prefix -> XSD file under record_3.0/
_XSD = {"external-identifier": "person-external-identifier"}


def model_dir() -> Path | None:
    """The orcid-model folder, or None when it is not there."""
    configured = os.environ.get("ORCID_MODEL_DIR")
    folder = Path(configured) if configured else CHECKOUT.parent / "shared" / "orcid-model"
    return folder if (folder / "record_3.0").is_dir() else None


class Schemas:
    """One ``xmlschema`` schema per root namespace, loaded on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[str, object] = {}

    def for_prefix(self, prefix: str):
        """The schema that declares elements of namespace ``http://www.orcid.org/ns/{prefix}``."""
        import xmlschema

        if prefix not in self._loaded:
            name = _XSD.get(prefix, prefix)
            folder = "summary_3.0" if prefix == "summary" else "record_3.0"
            self._loaded[prefix] = xmlschema.XMLSchema(
                str(self.folder / folder / f"{name}-3.0.xsd"))
        return self._loaded[prefix]

    def validate(self, xml: bytes) -> etree._Element:
        """Validate an XML document against the schema of its root; return the root."""
        root = etree.fromstring(xml)
        prefix = etree.QName(root).namespace.rsplit("/", 1)[1]
        self.for_prefix(prefix).validate(root)
        return root
