"""ORCID's v3.0 XSDs (orcid-model, MIT) for the XSD tests: where they are, loaded once.

The folder is the compliance kit's (:func:`orcid_pyramid.compliance.schemas.model_dir`: the
packaged copy or ``$ORCID_MODEL_DIR``). The ``schemas`` fixture (``conftest.py``) skips with the
reason and the setting when it lacks them.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from orcid_pyramid.compliance import schemas as kit_schemas

#: root element prefix -> XSD file under record_3.0/
_XSD = {"external-identifier": "person-external-identifier"}


def model_dir() -> Path | None:
    """The folder of ORCID's XSDs, or None when it lacks them."""
    folder = kit_schemas.model_dir()
    return None if kit_schemas.missing_reason(folder) else folder


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
