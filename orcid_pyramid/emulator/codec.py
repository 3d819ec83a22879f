"""ORCID v3.0 JSON <-> XML, in ORCID's namespaces and XSD element order (api-facts §5).

Items are stored in the JSON shape; XML is produced from it and parsed into it. The table
``_ELEMENTS`` is the content model of every complex element the emulator reads or writes,
transcribed from ORCID's record_3.0 XSDs: for each element its attributes and its children in
sequence order. A child is ``prefix:name`` plus flags:

* ``*``  repeated (a JSON list); ``{}`` complex (its own table entry);
* ``=``  JSON wraps the text as ``{"value": ...}`` (other keys become XML attributes);
* ``~``  like ``=`` with an epoch-ms timestamp (XML ``xs:dateTime``); no flag: bare text.

Three places where ORCID's JSON is not the XML tree (Jackson annotations) are handled by name:
the affiliation group's ``summaries`` list, the research resource's flattened ``resource-item``
list, and ``bulk`` (a list of one-key objects). Written by hand: no library maps this schema.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from lxml import etree

NS_BASE = "http://www.orcid.org/ns/"
PREFIXES = (
    "common", "work", "funding", "activities", "bulk", "error", "employment", "education",
    "distinction", "invited-position", "membership", "qualification", "service", "peer-review",
    "research-resource", "person", "personal-details", "other-name", "keyword",
    "researcher-url", "external-identifier", "address", "email", "record", "history",
    "preferences", "summary",
)
AFFILIATIONS = ("distinction", "education", "employment", "invited-position", "membership",
                "qualification", "service")

_ITEM = "put-code visibility display-index path"
_META = "common:created-date~ common:last-modified-date~ common:source{}"
_EXT_ID = ("common:external-id-type common:external-id-value common:external-id-normalized= "
           "common:external-id-normalized-error{} common:external-id-url= "
           "common:external-id-relationship")
_ORG = "common:name common:address{} common:disambiguated-organization{}"
_DATE = "common:year= common:month= common:day="
_ID = "common:uri common:path common:host"
_AFFILIATION = (f"{_META} common:department-name common:role-title common:start-date{{}} "
                "common:end-date{} common:organization{} common:url= common:external-ids{}")
_LIST = "common:last-modified-date~ {}*{{}}"

_TABLE: dict[str, tuple[str, str]] = {
    "common:source": ("", "common:source-orcid{} common:source-client-id{} common:source-name= "
                      "common:assertion-origin-orcid{} common:assertion-origin-client-id{} "
                      "common:assertion-origin-name="),
    "common:source-orcid": ("", _ID), "common:source-client-id": ("", _ID),
    "common:assertion-origin-orcid": ("", _ID), "common:assertion-origin-client-id": ("", _ID),
    "common:contributor-orcid": ("", _ID), "common:orcid-identifier": ("", _ID),
    "common:external-ids": ("", "common:external-id*{}"),
    "common:external-id": ("", _EXT_ID),
    "common:external-id-normalized-error": ("transient", "common:error-code common:error-message"),
    "common:organization": ("", _ORG),
    "common:address": ("", "common:city common:region common:country"),
    "common:disambiguated-organization": (
        "", "common:disambiguated-organization-identifier common:disambiguation-source"),
    "common:publication-date": ("", _DATE), "common:start-date": ("", _DATE),
    "common:end-date": ("", _DATE),
    # works
    "work:work": (_ITEM, f"{_META} work:title{{}} work:journal-title= work:short-description "
                  "work:citation{} work:type common:publication-date{} common:external-ids{} "
                  "common:url= work:contributors{} common:language-code common:country="),
    "work:work-summary": (_ITEM, f"{_META} work:title{{}} common:external-ids{{}} common:url= "
                          "work:type common:publication-date{} work:journal-title="),
    "work:title": ("", "common:title= common:subtitle= common:translated-title="),
    "work:citation": ("", "work:citation-type work:citation-value"),
    "work:contributors": ("", "work:contributor*{}"),
    "work:contributor": ("", "common:contributor-orcid{} work:credit-name= "
                         "work:contributor-email work:contributor-attributes{}"),
    "work:contributor-attributes": ("", "work:contributor-sequence work:contributor-role"),
    "bulk:bulk": ("", "work:work*{} error:error*{}"),
    "error:error": ("", "error:response-code error:developer-message error:user-message "
                    "error:error-code error:more-info"),
    # fundings
    "funding:funding": (_ITEM, f"{_META} funding:type funding:organization-defined-type= "
                        "funding:title{} funding:short-description funding:amount= common:url= "
                        "common:start-date{} common:end-date{} common:external-ids{} "
                        "funding:contributors{} common:organization{}"),
    "funding:funding-summary": (_ITEM, f"{_META} funding:title{{}} common:external-ids{{}} "
                                "common:url= funding:type common:start-date{} common:end-date{} "
                                "common:organization{}"),
    "funding:title": ("", "common:title= common:translated-title="),
    "funding:contributors": ("", "funding:contributor*{}"),
    "funding:contributor": ("", "common:contributor-orcid{} funding:credit-name= "
                            "funding:contributor-email funding:contributor-attributes{}"),
    "funding:contributor-attributes": ("", "funding:contributor-role"),
    # peer reviews
    "peer-review:peer-review": (
        _ITEM, f"{_META} peer-review:reviewer-role peer-review:review-identifiers{{}} "
        "peer-review:review-url= peer-review:review-type peer-review:review-completion-date{} "
        "peer-review:review-group-id peer-review:subject-external-identifier{} "
        "peer-review:subject-container-name= peer-review:subject-type "
        "peer-review:subject-name{} peer-review:subject-url= "
        "peer-review:convening-organization{}"),
    "peer-review:peer-review-summary": (
        _ITEM, f"{_META} peer-review:reviewer-role common:external-ids{{}} "
        "peer-review:review-url= peer-review:review-type peer-review:completion-date{} "
        "peer-review:review-group-id peer-review:convening-organization{}"),
    "peer-review:review-identifiers": ("", "common:external-id*{}"),
    "peer-review:subject-external-identifier": ("", _EXT_ID),
    "peer-review:subject-name": ("", "common:title= common:subtitle= common:translated-title="),
    "peer-review:review-completion-date": ("", _DATE),
    "peer-review:completion-date": ("", _DATE),
    "peer-review:convening-organization": ("", _ORG),
    # research resources
    "research-resource:research-resource": (
        _ITEM, f"{_META} research-resource:proposal{{}} research-resource:resource-items{{}}"),
    "research-resource:research-resource-summary": (
        _ITEM, f"{_META} research-resource:proposal{{}}"),
    "research-resource:proposal": (
        "", "research-resource:title{} research-resource:hosts{} common:external-ids{} "
        "common:start-date{} common:end-date{} common:url="),
    "research-resource:title": ("", "common:title= common:translated-title="),
    "research-resource:hosts": ("", "common:organization*{}"),
    "research-resource:resource-items": ("", "research-resource:resource-item*{}"),
    "research-resource:resource-item": (
        "", "research-resource:resource-name research-resource:resource-type "
        "research-resource:hosts{} common:external-ids{} common:url="),
    # person
    "other-name:other-name": (_ITEM, f"{_META} other-name:content"),
    "keyword:keyword": (_ITEM, f"{_META} keyword:content"),
    "researcher-url:researcher-url": (
        _ITEM, f"{_META} researcher-url:url-name researcher-url:url="),
    "external-identifier:external-identifier": (_ITEM, f"{_META} {_EXT_ID}"),
    "address:address": (_ITEM, f"{_META} address:country="),
    "email:email": (_ITEM + " verified primary", f"{_META} email:email"),
    "other-name:other-names": ("path", _LIST.format("other-name:other-name")),
    "keyword:keywords": ("path", _LIST.format("keyword:keyword")),
    "researcher-url:researcher-urls": ("path", _LIST.format("researcher-url:researcher-url")),
    "external-identifier:external-identifiers": (
        "path", _LIST.format("external-identifier:external-identifier")),
    "address:addresses": ("path", _LIST.format("address:address")),
    "email:emails": ("path", _LIST.format("email:email")),
    "person:name": ("visibility path", "common:created-date~ common:last-modified-date~ "
                    "personal-details:given-names= personal-details:family-name= "
                    "personal-details:credit-name="),
    "person:biography": ("visibility path", "common:created-date~ common:last-modified-date~ "
                         "personal-details:content"),
    "person:person": ("path", "common:last-modified-date~ person:name{} other-name:other-names{} "
                      "person:biography{} researcher-url:researcher-urls{} email:emails{} "
                      "address:addresses{} keyword:keywords{} "
                      "external-identifier:external-identifiers{}"),
    "personal-details:personal-details": (
        "path", "common:last-modified-date~ personal-details:name{} other-name:other-names{} "
        "personal-details:biography{}"),
    # activities and record
    "activities:works": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:fundings": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:peer-reviews": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:research-resources": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:group": ("", "common:last-modified-date~ common:external-ids{} "
                         "activities:peer-review-group*{} funding:funding-summary*{} "
                         "research-resource:research-resource-summary*{} work:work-summary*{}"),
    "activities:peer-review-group": ("", "common:last-modified-date~ common:external-ids{} "
                                     "peer-review:peer-review-summary*{}"),
    "activities:affiliation-group": (
        "", "common:last-modified-date~ common:external-ids{} "
        + " ".join(f"{a}:{a}-summary*{{}}" for a in AFFILIATIONS)),
    "activities:activities-summary": ("path", "common:last-modified-date~ " + " ".join(
        f"activities:{s}{{}}" for s in (
            "distinctions", "educations", "employments", "fundings", "invited-positions",
            "memberships", "peer-reviews", "qualifications", "research-resources", "services",
            "works"))),
    "record:record": ("path", "common:orcid-identifier{} preferences:preferences{} "
                      "history:history{} person:person{} activities:activities-summary{}"),
    "preferences:preferences": ("", "preferences:locale"),
    "history:history": ("visibility", "history:creation-method history:completion-date~ "
                        "history:submission-date~ common:last-modified-date~ history:claimed "
                        "common:source{} history:deactivation-date~ history:verified-email "
                        "history:verified-primary-email"),
}
# the record summary (summary_3.0, ``GET /summary``)
_BRIEF = ("summary:put-code summary:type summary:organization-name summary:role summary:url "
          "common:start-date{} common:end-date{} summary:validated")
_COUNTS = "summary:self-asserted-count summary:validated-count"
_TABLE.update({
    "summary:record-summary": (
        "", "common:created-date~ common:last-modified-date~ summary:credit-name "
        "common:orcid-identifier{} summary:external-identifiers{} summary:employments{} "
        "summary:professional-activities{} summary:fundings{} summary:works{} "
        "summary:peer-reviews{} summary:education-qualifications{} "
        "summary:research-resources{} summary:email-domains{}"),
    "summary:external-identifiers": ("", "summary:external-identifier*{}"),
    "summary:external-identifier": (
        "", "summary:put-code summary:external-id-type summary:external-id-value "
        "summary:external-id-url summary:validated"),
    "summary:employments": ("", "summary:count summary:employment*{}"),
    "summary:employment": ("", _BRIEF),
    "summary:professional-activities": ("", "summary:count summary:professional-activity*{}"),
    "summary:professional-activity": ("", _BRIEF),
    "summary:education-qualifications": ("", "summary:count summary:education-qualification*{}"),
    "summary:education-qualification": ("", _BRIEF),
    "summary:fundings": ("", _COUNTS), "summary:works": ("", _COUNTS),
    "summary:research-resources": ("", _COUNTS),
    "summary:peer-reviews": (
        "", "summary:peer-review-publication-grants summary:self-asserted-count summary:total"),
    "summary:email-domains": ("", "summary:count summary:email-domain*{}"),
    "summary:email-domain": ("", "summary:value summary:verification-date "
                             "common:created-date~ common:last-modified-date~"),
})
for _a in AFFILIATIONS:
    _TABLE[f"{_a}:{_a}"] = (_ITEM, _AFFILIATION)
    _TABLE[f"{_a}:{_a}-summary"] = (_ITEM, _AFFILIATION)
    _TABLE[f"activities:{_a}s"] = (
        "path", "common:last-modified-date~ activities:affiliation-group*{}")
# The biography and name inside personal-details use the same content as in person.
_TABLE["personal-details:name"] = _TABLE["person:name"]
_TABLE["personal-details:biography"] = _TABLE["person:biography"]

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
    attrs, children = _TABLE[qname]
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
    return etree.tostring(to_element(data, qname), xml_declaration=True, encoding="UTF-8",
                          standalone=True)


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
    where = where or qname.split(":", 1)[1]
    if not isinstance(data, dict):
        raise CodecError(f"{where} must be an object")
    attrs, children = model(qname)
    by_key = {child.key: child for child in children}
    for key, value in data.items():
        if value is None:
            continue
        if key in attrs:
            if not isinstance(value, _SCALARS):
                raise CodecError(f"{where}/{key} must be a plain value")
            continue
        if qname == "bulk:bulk" and key == "bulk":
            _check_list(value, f"{where}/bulk", lambda one, at: check_json(
                (one or {}).get("work") if isinstance(one, dict) else one, "work:work", at))
            continue
        if qname == "research-resource:research-resource" and key == "resource-item":
            _check_list(value, f"{where}/{key}", lambda one, at: check_json(
                one, "research-resource:resource-item", at))
            continue
        child = by_key.get(key)
        if child is None:
            raise CodecError(f"unrecognized field {where}/{key}")
        if child.many:
            _check_list(value, f"{where}/{key}", lambda one, at, c=child: _check_child(c, one, at))
        else:
            _check_child(child, value, f"{where}/{key}")


def _check_list(value, where: str, check) -> None:
    if not isinstance(value, list):
        raise CodecError(f"{where} must be a list")
    for index, one in enumerate(value):
        check(one, f"{where}[{index}]")


def _check_child(child: Child, value, where: str) -> None:
    if child.complex:
        check_json(value, child.qname, where)
    elif child.wrapped and isinstance(value, dict):
        for key, part in value.items():
            if part is not None and not isinstance(part, _SCALARS):
                raise CodecError(f"{where}/{key} must be a plain value")
    elif value is not None and not isinstance(value, _SCALARS):
        raise CodecError(f"{where} must be a plain value")
