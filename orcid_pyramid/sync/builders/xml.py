"""ORCID 3.0 XML for the item builders: ORCID's namespaces and the XSDs' element order.

ORCID validates XML bodies against its schemas, where order matters (for a work: title,
journal-title, short-description, citation, type, publication-date, external-ids, url,
contributors, language-code, country). Elements are written here in that order with lxml.
"""

from __future__ import annotations

from lxml import etree

NS_BASE = "http://www.orcid.org/ns/"
COMMON = NS_BASE + "common"

# API section -> (prefix/namespace name, root element name)
ROOTS = {
    "work": ("work", "work"),
    "funding": ("funding", "funding"),
    "peer-review": ("peer-review", "peer-review"),
    "employment": ("employment", "employment"),
    "education": ("education", "education"),
    "distinction": ("distinction", "distinction"),
    "invited-position": ("invited-position", "invited-position"),
    "membership": ("membership", "membership"),
    "qualification": ("qualification", "qualification"),
    "service": ("service", "service"),
    "other-names": ("other-name", "other-name"),
    "keywords": ("keyword", "keyword"),
    "researcher-urls": ("researcher-url", "researcher-url"),
    "external-identifiers": ("external-identifier", "external-identifier"),
    "address": ("address", "address"),
}


def _sub(parent, ns: str, name: str, text=None, **attrs):
    element = etree.SubElement(
        parent, f"{{{ns}}}{name}", {k.replace("_", "-"): v for k, v in attrs.items()}
    )
    if text is not None:
        element.text = str(text)
    return element


def _opt(parent, ns: str, name: str, text) -> None:
    if text is not None:
        _sub(parent, ns, name, text)


def _date(parent, name: str, date, *, ns: str = COMMON) -> None:
    if date is None:
        return
    node = _sub(parent, ns, name)
    _sub(node, COMMON, "year", f"{date.year:04d}")
    if date.month is not None:
        _sub(node, COMMON, "month", f"{date.month:02d}")
        if date.day is not None:
            _sub(node, COMMON, "day", f"{date.day:02d}")


def _external_ids(parent, ids) -> None:
    node = _sub(parent, COMMON, "external-ids")
    for eid in ids:
        _external_id_fields(
            _sub(node, COMMON, "external-id"), eid.type, eid.value, eid.url, eid.relationship
        )


def _external_id_fields(node, kind, value, url, relationship) -> None:
    _sub(node, COMMON, "external-id-type", kind)
    _sub(node, COMMON, "external-id-value", value)
    _opt(node, COMMON, "external-id-url", url)
    _opt(node, COMMON, "external-id-relationship", relationship)


def _organization(parent, org, *, ns: str = COMMON, name: str = "organization") -> None:
    if org is None:
        return
    node = _sub(parent, ns, name)
    _sub(node, COMMON, "name", org.name)
    address = _sub(node, COMMON, "address")
    _opt(address, COMMON, "city", org.city)
    _opt(address, COMMON, "region", org.region)
    _opt(address, COMMON, "country", org.country)
    if org.disambiguated is not None:
        dis = _sub(node, COMMON, "disambiguated-organization")
        _sub(dis, COMMON, "disambiguated-organization-identifier", org.disambiguated.identifier)
        _sub(dis, COMMON, "disambiguation-source", org.disambiguated.source)


def _contributors(parent, ns: str, contributors, *, sequences: bool) -> None:
    if not contributors:
        return
    node = _sub(parent, ns, "contributors")
    for contributor in contributors:
        one = _sub(node, ns, "contributor")
        if contributor.orcid is not None:
            orcid = _sub(one, COMMON, "contributor-orcid")
            data = contributor.orcid_json()
            for key in ("uri", "path", "host"):
                _sub(orcid, COMMON, key, data[key])
        _opt(one, ns, "credit-name", contributor.credit_name)
        _opt(one, ns, "contributor-email", contributor.email)
        if contributor.role is not None or (sequences and contributor.sequence is not None):
            attributes = _sub(one, ns, "contributor-attributes")
            if sequences:
                _opt(attributes, ns, "contributor-sequence", contributor.sequence)
            _opt(attributes, ns, "contributor-role", contributor.role)


def _title(parent, ns: str, item, *, subtitle: bool) -> None:
    node = _sub(parent, ns, "title")
    _sub(node, COMMON, "title", item.title)
    if subtitle:
        _opt(node, COMMON, "subtitle", item.subtitle)
    if item.translated_title is not None:
        _sub(
            node,
            COMMON,
            "translated-title",
            item.translated_title,
            language_code=item.translated_title_language,
        )


def _work(root, ns: str, work) -> None:
    _title(root, ns, work, subtitle=True)
    _opt(root, ns, "journal-title", work.journal_title)
    _opt(root, ns, "short-description", work.short_description)
    if work.citation is not None:
        citation = _sub(root, ns, "citation")
        _sub(citation, ns, "citation-type", work.citation.type)
        _sub(citation, ns, "citation-value", work.citation.value)
    _sub(root, ns, "type", work.type)
    _date(root, "publication-date", work.publication_date)
    _external_ids(root, work.external_ids)
    _opt(root, COMMON, "url", work.url)
    _contributors(root, ns, work.contributors, sequences=True)
    _opt(root, COMMON, "language-code", work.language_code)
    _opt(root, COMMON, "country", work.country)


def _funding(root, ns: str, funding) -> None:
    _sub(root, ns, "type", funding.type)
    _opt(root, ns, "organization-defined-type", funding.organization_defined_type)
    _title(root, ns, funding, subtitle=False)
    _opt(root, ns, "short-description", funding.short_description)
    if funding.amount is not None:
        _sub(root, ns, "amount", funding.amount, currency_code=funding.currency_code)
    _opt(root, COMMON, "url", funding.url)
    _date(root, "start-date", funding.start_date)
    _date(root, "end-date", funding.end_date)
    _external_ids(root, funding.external_ids)
    _contributors(root, ns, funding.contributors, sequences=False)
    _organization(root, funding.organization)


def _peer_review(root, ns: str, review) -> None:
    _sub(root, ns, "reviewer-role", review.role)
    ids = _sub(root, ns, "review-identifiers")
    for eid in review.external_ids:
        _external_id_fields(_sub(ids, COMMON, "external-id"), eid.type, eid.value, eid.url,
                            eid.relationship)
    _opt(root, ns, "review-url", review.review_url)
    _sub(root, ns, "review-type", review.type)
    _date(root, "review-completion-date", review.completion_date, ns=ns)
    _sub(root, ns, "review-group-id", review.review_group_id)
    subject = review.subject_external_id
    if subject is not None:
        _external_id_fields(_sub(root, ns, "subject-external-identifier"), subject.type,
                            subject.value, subject.url, subject.relationship)
    _opt(root, ns, "subject-container-name", review.subject_container_name)
    _opt(root, ns, "subject-type", review.subject_type)
    if review.subject_name is not None:
        _sub(_sub(root, ns, "subject-name"), COMMON, "title", review.subject_name)
    _opt(root, ns, "subject-url", review.subject_url)
    _organization(root, review.convening_organization, ns=ns, name="convening-organization")


def _affiliation(root, ns: str, item) -> None:
    _opt(root, COMMON, "department-name", item.department_name)
    _opt(root, COMMON, "role-title", item.role_title)
    _date(root, "start-date", item.start_date)
    _date(root, "end-date", item.end_date)
    _organization(root, item.organization)
    _opt(root, COMMON, "url", item.url)
    if item.external_ids:
        _external_ids(root, item.external_ids)


def _person(root, ns: str, item) -> None:
    section = item.section
    if section in ("other-names", "keywords"):
        _sub(root, ns, "content", item.content)
    elif section == "researcher-urls":
        _opt(root, ns, "url-name", item.name)
        _sub(root, ns, "url", item.url)
    elif section == "external-identifiers":
        _external_id_fields(root, item.type, item.value, item.url, item.relationship)
    elif section == "address":
        _sub(root, ns, "country", item.country)


_AFFILIATIONS = {
    "employment",
    "education",
    "distinction",
    "invited-position",
    "membership",
    "qualification",
    "service",
}


def item_element(item) -> etree._Element:
    """The item as an lxml element (root of its own ORCID 3.0 document)."""
    prefix, name = ROOTS[item.section]
    ns = NS_BASE + prefix
    root = etree.Element(f"{{{ns}}}{name}", nsmap={prefix: ns, "common": COMMON})
    if item.put_code is not None:
        root.set("put-code", str(item.put_code))
    if item.section == "work":
        _work(root, ns, item)
    elif item.section == "funding":
        _funding(root, ns, item)
    elif item.section == "peer-review":
        _peer_review(root, ns, item)
    elif item.section in _AFFILIATIONS:
        _affiliation(root, ns, item)
    else:
        _person(root, ns, item)
    return root


def item_to_xml(item) -> bytes:
    """The item as an ORCID 3.0 XML document (UTF-8, with declaration)."""
    return etree.tostring(
        item_element(item), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
