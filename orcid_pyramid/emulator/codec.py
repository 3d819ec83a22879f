"""ORCID v3.0 JSON <-> XML, in ORCID's namespaces and XSD element order (orcid-facts/bodies.md).

Items are stored in the JSON shape; XML is produced from it and parsed into it, following
the content model in ``codec_tables.TABLE`` (each element's attributes and its children in XSD
sequence order, with the flags described there).

Three places where ORCID's JSON is not the XML tree (Jackson annotations) are handled by name:
the affiliation group's ``summaries`` list, the research resource's flattened ``resource-item``
list, and ``bulk`` (a list of one-key objects). Written by hand: no library maps this schema.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from lxml import etree

from .codec_tables import TABLE
from .responses import xml_document

NS_BASE = "http://www.orcid.org/ns/"
PREFIXES = (
    "common", "work", "funding", "activities", "bulk", "error", "employment", "education",
    "distinction", "invited-position", "membership", "qualification", "service", "peer-review",
    "research-resource", "person", "personal-details", "other-name", "keyword",
    "researcher-url", "external-identifier", "address", "email", "record", "history",
    "preferences", "summary",
)

_INT_ATTRS = {"put-code"}
_BOOL_FIELDS = {"verified", "primary", "transient", "claimed", "verified-email",
                "verified-primary-email"}


class CodecError(ValueError):
    """An XML body that does not fit ORCID's schema (ORCID answers 400/9020)."""


class Child:
    """One child in an element's sequence."""

    __slots__ = ("qname", "key", "many", "complex", "wrapped", "stamp")

    def __init__(self, spec: str) -> None:
        self.many = "*" in spec
        self.complex = "{}" in spec
        self.wrapped = "=" in spec or "~" in spec
        self.stamp = "~" in spec
        self.qname = spec.rstrip("*{}=~").replace("*", "")
        self.key = self.qname.split(":", 1)[1]


@functools.cache
def model(qname: str) -> tuple[tuple[str, ...], tuple[Child, ...]]:
    """Attributes and children (in XSD order) of a complex element, parsed once."""
    attrs, children = TABLE[qname]
    return tuple(attrs.split()), tuple(Child(spec) for spec in children.split())


def clark(qname: str) -> str:
    """``prefix:name`` to lxml's ``{namespace}name``."""
    prefix, name = qname.split(":", 1)
    return f"{{{NS_BASE}{prefix}}}{name}"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _stamp(ms) -> str:
    moment = datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fill(element: etree._Element, qname: str, data: dict) -> None:
    attrs, children = model(qname)
    for name in attrs:
        if data.get(name) is not None:
            element.set(name, _text(data[name]))
    for child in children:
        value = data.get(child.key)
        if qname == "activities:affiliation-group" and child.key.endswith("-summary"):
            value = [s[child.key] for s in data.get("summaries") or [] if child.key in s]
        elif child.key == "resource-items" and value is None and data.get("resource-item"):
            value = {"resource-item": data["resource-item"]}
        elif qname == "bulk:bulk":
            value = [entry[child.key] for entry in data.get("bulk") or [] if child.key in entry]
        if value is None:
            continue
        for one in (value if child.many else [value]):
            sub = etree.SubElement(element, clark(child.qname))
            if child.complex:
                _fill(sub, child.qname, one)
            elif child.wrapped and isinstance(one, dict):
                sub.text = _stamp(one["value"]) if child.stamp else _text(one.get("value", ""))
                for attr, attr_value in one.items():
                    if attr != "value" and attr_value is not None:
                        sub.set(attr, _text(attr_value))
            else:
                sub.text = _text(one)


def _ordered_bulk(element: etree._Element, data: dict) -> None:
    # bulk answers keep the request order, works and errors interleaved.
    for entry in data.get("bulk") or []:
        for key, qname in (("work", "work:work"), ("error", "error:error")):
            if key in entry:
                _fill(etree.SubElement(element, clark(qname)), qname, entry[key])


def to_element(data: dict, qname: str) -> etree._Element:
    """The XML element ``qname`` for a JSON-shaped dict."""
    nsmap = {prefix: NS_BASE + prefix for prefix in PREFIXES}
    root = etree.Element(clark(qname), nsmap=nsmap)
    if qname == "bulk:bulk":
        _ordered_bulk(root, data)
    else:
        _fill(root, qname, data)
    return root


def to_xml(data: dict, qname: str) -> bytes:
    """A JSON-shaped dict as an XML document rooted at ``qname`` (e.g. ``work:work``)."""
    return xml_document(to_element(data, qname))


def _parse_ms(text: str):
    try:
        return int(datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError as exc:
        raise CodecError(f"invalid date-time {text!r}") from exc


def _scalar(key: str, text: str | None):
    text = (text or "").strip()
    if key in _BOOL_FIELDS:
        return text == "true"
    return text


def _read(element: etree._Element, qname: str) -> dict:
    attrs, children = model(qname)
    by_clark = {clark(c.qname): (i, c) for i, c in enumerate(children)}
    out: dict = {}
    for name in attrs:
        if element.get(name) is not None:
            raw = element.get(name)
            out[name] = int(raw) if name in _INT_ATTRS and raw.isdigit() else _scalar(name, raw)
    position = -1
    for sub in element:
        if not isinstance(sub.tag, str):
            continue  # comments, processing instructions
        if sub.tag not in by_clark:
            raise CodecError(f"unexpected element {sub.tag} in {qname}")
        index, child = by_clark[sub.tag]
        if index < position:
            raise CodecError(f"element {child.qname} out of order in {qname}")
        position = index
        if child.complex:
            value = _read(sub, child.qname)
        elif child.wrapped:
            text = sub.text or ""
            value = {"value": _parse_ms(text) if child.stamp else text.strip()}
            for attr, attr_value in sub.attrib.items():
                value[attr] = _scalar(attr, attr_value)
        else:
            value = _scalar(child.key, sub.text)
        if qname == "activities:affiliation-group" and child.key.endswith("-summary"):
            out.setdefault("summaries", []).append({child.key: value})
        elif qname == "bulk:bulk":
            out.setdefault("bulk", []).append({child.key: value})
        elif child.key == "resource-items":
            out["resource-item"] = value.get("resource-item", [])
        elif child.many:
            out.setdefault(child.key, []).append(value)
        else:
            out[child.key] = value
    return out


def from_element(element: etree._Element, qname: str) -> dict:
    """The JSON shape of an element that must be ``qname``; CodecError when it does not fit."""
    if element.tag != clark(qname):
        raise CodecError(f"expected {qname}, got {element.tag}")
    return _read(element, qname)


def parse_xml(body: bytes, qname: str) -> dict:
    """Parse an XML request body (no network, no entities) into the JSON shape."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_blank_text=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise CodecError(f"malformed XML: {exc}") from exc
    return from_element(root, qname)


_SCALARS = (str, int, float, bool)


def check_json(data, qname: str, where: str = "") -> None:
    """Raise CodecError unless a JSON body fits the element's model (objects, lists, scalars,
    known field names), so that ORCID's rules can then read it safely."""
    _check_object(data, qname, (where or qname.split(":", 1)[1],))


# Where a part of the body is, for the error message only: a chain of (parent, step) tuples,
# joined into "work/title/title" when an error is raised (built as a string for every member,
# the path was a tenth of a bulk POST's handling).
def _where(path: tuple) -> str:
    steps = []
    while len(path) == 2:
        path, step = path
        steps.append(step)
    steps.append(path[0])
    return "".join(reversed(steps))


@functools.cache
def _fields(qname: str) -> tuple[frozenset, dict]:
    """The element's attribute names and its children by JSON key."""
    attrs, children = model(qname)
    return frozenset(attrs), {child.key: child for child in children}


def _check_object(data, qname: str, path: tuple) -> None:
    if not isinstance(data, dict):
        raise CodecError(f"{_where(path)} must be an object")
    attrs, by_key = _fields(qname)
    for key, value in data.items():
        if value is None:
            continue
        if key in attrs:
            if not isinstance(value, _SCALARS):
                raise CodecError(f"{_where((path, '/' + key))} must be a plain value")
            continue
        if qname == "bulk:bulk" and key == "bulk":
            _check_list(value, (path, "/bulk"), lambda one, at: _check_object(
                (one or {}).get("work") if isinstance(one, dict) else one, "work:work", at))
            continue
        if qname == "research-resource:research-resource" and key == "resource-item":
            _check_list(value, (path, "/" + key), lambda one, at: _check_object(
                one, "research-resource:resource-item", at))
            continue
        child = by_key.get(key)
        if child is None:
            raise CodecError(f"unrecognized field {_where((path, '/' + key))}")
        if child.many:
            _check_list(value, (path, "/" + key),
                        lambda one, at, c=child: _check_child(c, one, at))
        else:
            _check_child(child, value, (path, "/" + key))


def _check_list(value, path: tuple, check) -> None:
    if not isinstance(value, list):
        raise CodecError(f"{_where(path)} must be a list")
    for index, one in enumerate(value):
        check(one, (path, f"[{index}]"))


def _check_child(child: Child, value, path: tuple) -> None:
    if child.complex:
        _check_object(value, child.qname, path)
    elif child.wrapped and isinstance(value, dict):
        for key, part in value.items():
            if part is not None and not isinstance(part, _SCALARS):
                raise CodecError(f"{_where((path, '/' + key))} must be a plain value")
    elif value is not None and not isinstance(value, _SCALARS):
        raise CodecError(f"{_where(path)} must be a plain value")
