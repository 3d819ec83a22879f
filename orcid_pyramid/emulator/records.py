"""A researcher's ORCID record in the emulator: name, emails, biography and items.

Items are stored in ORCID's JSON shape (``Item.data`` holds what the client sent, normalised);
ORCID's metadata (put code, source, visibility, dates) lives beside it and is merged in by
``Item.to_json``. The read views (summaries, groups, person, activities) are at the end of
this module, so the API module stays about HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field

from .validation import normalize_id

#: activity item path segment -> summary (plural) path segment
ACTIVITIES = {
    "work": "works", "funding": "fundings", "peer-review": "peer-reviews",
    "research-resource": "research-resources", "distinction": "distinctions",
    "education": "educations", "employment": "employments",
    "invited-position": "invited-positions", "membership": "memberships",
    "qualification": "qualifications", "service": "services",
}
#: person section path segment -> the item's element name
PERSON = {"other-names": "other-name", "keywords": "keyword", "researcher-urls": "researcher-url",
          "external-identifiers": "external-identifier", "address": "address"}
SANDBOX_HOST = "sandbox.orcid.org"


def canonical_section(name: str) -> str | None:
    """``work``/``works`` -> ``work``; ``keyword``/``keywords`` -> ``keywords``; else None."""
    if name in ACTIVITIES or name in PERSON:
        return name
    for singular, plural in ACTIVITIES.items():
        if name == plural:
            return singular
    for path, element in PERSON.items():
        if name == element or (name == "addresses" and path == "address"):
            return path
    return None


def now_ms(seconds: float | None = None) -> int:
    """Epoch milliseconds, ORCID's timestamp unit."""
    return int((time.time() if seconds is None else seconds) * 1000)


def source_json(client_id: str | None, name: str, orcid: str) -> dict:
    """ORCID's six-key ``source``: the client when a client wrote it, else the record owner."""
    client = None
    owner = None
    if client_id:
        client = {"uri": f"https://{SANDBOX_HOST}/client/{client_id}", "path": client_id,
                  "host": SANDBOX_HOST}
    else:
        owner = {"uri": f"https://{SANDBOX_HOST}/{orcid}", "path": orcid, "host": SANDBOX_HOST}
    return {"source-orcid": owner, "source-client-id": client, "source-name": {"value": name},
            "assertion-origin-orcid": None, "assertion-origin-client-id": None,
            "assertion-origin-name": None}


@dataclass
class Item:
    """One item of a record with ORCID's metadata."""

    section: str
    put_code: int
    data: dict
    visibility: str
    source_client_id: str | None
    source_name: str
    created: int
    modified: int
    display_index: str = "0"
    #: the duplicate rule's keys (validation.duplicate_keys), kept with the data
    keys: frozenset = frozenset()

    def path(self, orcid: str) -> str:
        """``/{orcid}/{section}/{put code}`` as ORCID prints it."""
        return f"/{orcid}/{self.section}/{self.put_code}"

    def to_json(self, orcid: str) -> dict:
        """The full item as ORCID returns it from ``GET /{section}/{put-code}``."""
        out = {"created-date": {"value": self.created},
               "last-modified-date": {"value": self.modified},
               "source": source_json(self.source_client_id, self.source_name, orcid)}
        out.update({k: v for k, v in self.data.items() if k not in _META_KEYS})
        out.update({"put-code": self.put_code, "path": self.path(orcid),
                    "visibility": self.visibility, "display-index": self.display_index})
        return out

    def to_control_json(self) -> dict:
        """The item for the control API: metadata and content."""
        return {"put-code": self.put_code, "source-client-id": self.source_client_id,
                "source-name": self.source_name, "visibility": self.visibility,
                "created-date": self.created, "last-modified-date": self.modified,
                "item": self.data}


_META_KEYS = {"put-code", "path", "visibility", "source", "created-date", "last-modified-date",
              "display-index"}


@dataclass
class Email:
    """An email address on a record; only verified ones are ever returned by the API."""

    email: str
    verified: bool = True
    primary: bool = False
    visibility: str = "limited"


@dataclass
class Record:
    """A researcher's record. Mutate only under ``EmulatorState.lock``."""

    orcid: str
    given_names: str
    family_names: str | None
    password_hash: bytes
    salt: bytes
    credit_name: str | None = None
    name_visibility: str = "public"
    biography: str | None = None
    biography_visibility: str = "public"
    emails: list[Email] = field(default_factory=list)
    default_visibility: str = "public"
    locale: str = "en"
    #: record states ORCID checks on every call (api-facts §3.4)
    locked: bool = False
    deactivated: bool = False
    deprecated_to: str | None = None
    created: int = field(default_factory=now_ms)
    modified: int = field(default_factory=now_ms)
    #: section (canonical) -> put code -> item
    items: dict[str, dict[int, Item]] = field(default_factory=dict)

    def check_password(self, password: str) -> bool:
        """True when ``password`` is this record's password (constant-time compare)."""
        return hmac.compare_digest(_hash(password, self.salt), self.password_hash)

    @property
    def display_name(self) -> str | None:
        """The public name (credit name, else given + family names); None when not public."""
        if self.name_visibility != "public":
            return None
        if self.credit_name:
            return self.credit_name
        return " ".join(p for p in (self.given_names, self.family_names) if p) or None

    @property
    def full_name(self) -> str:
        """Given and family names, whatever their visibility (for the record's own pages)."""
        return " ".join(p for p in (self.given_names, self.family_names) if p)

    def section_items(self, section: str) -> list[Item]:
        """Items of one section (canonical name), oldest first."""
        return sorted(self.items.get(section, {}).values(), key=lambda i: i.put_code)

    def find(self, section: str, put_code: int) -> Item | None:
        """One item, or None."""
        return self.items.get(section, {}).get(put_code)

    def add(self, item: Item) -> None:
        """Store a new item and touch the record."""
        self.items.setdefault(item.section, {})[item.put_code] = item
        self.modified = max(self.modified, item.modified)

    def remove(self, section: str, put_code: int) -> bool:
        """Drop an item; False when there is no such item."""
        gone = self.items.get(section, {}).pop(put_code, None)
        if gone is not None:
            self.modified = now_ms()
        return gone is not None

    def add_item_as_user(self, section: str, data: dict, put_code: int,
                         visibility: str = "public", now: float | None = None) -> Item:
        """The researcher adds an item in ORCID's UI (source: the record itself); for seeds.

        ``data`` is the item's JSON shape, trusted as is; ``put_code`` from
        ``state.new_put_code()``.
        """
        canonical = canonical_section(section)
        if canonical is None:
            raise ValueError(f"unknown section {section!r}")
        when = now_ms(now)
        item = Item(section=canonical, put_code=put_code, data=dict(data), visibility=visibility,
                    source_client_id=None, source_name=self.full_name, created=when,
                    modified=when)
        self.add(item)
        return item

    def delete_item_as_user(self, section: str, put_code: int) -> bool:
        """The researcher deletes an item in ORCID's UI (any source); False if unknown."""
        canonical = canonical_section(section)
        return canonical is not None and self.remove(canonical, int(put_code))

    def to_control_json(self) -> dict:
        """The whole record, every item of every section, for ``GET /_emulator/records``."""
        sections = {}
        for name in list(ACTIVITIES) + list(PERSON):
            plural = ACTIVITIES.get(name, name)
            sections[plural] = [i.to_control_json() for i in self.section_items(name)]
        return {
            "orcid": self.orcid, "given-names": self.given_names,
            "family-names": self.family_names, "credit-name": self.credit_name,
            "name-visibility": self.name_visibility, "biography": self.biography,
            "biography-visibility": self.biography_visibility,
            "default-visibility": self.default_visibility, "locked": self.locked,
            "deactivated": self.deactivated, "deprecated-to": self.deprecated_to,
            "emails": [vars(e).copy() for e in self.emails],
            "created-date": self.created, "last-modified-date": self.modified,
            "sections": sections,
        }


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 10_000)


def new_record(orcid: str, given_names: str, family_names: str | None, email: str | None,
               password: str, **optional) -> Record:
    """A new record with a verified primary email.

    Optional keywords: ``credit_name``, ``name_visibility``, ``biography``,
    ``biography_visibility``, ``default_visibility``, ``email_visibility``,
    ``email_verified``, ``emails`` (more addresses: strings or dicts of ``Email`` fields),
    ``locale``, ``now`` (seconds since the epoch).
    """
    salt = os.urandom(16)
    when = now_ms(optional.pop("now", None))
    emails = []
    if email:
        emails.append(Email(email, verified=optional.pop("email_verified", True), primary=True,
                            visibility=optional.pop("email_visibility", "limited")))
    for extra in optional.pop("emails", None) or []:
        emails.append(Email(extra) if isinstance(extra, str) else Email(**extra))
    allowed = {"credit_name", "name_visibility", "biography", "biography_visibility",
               "default_visibility", "locale"}
    unknown = set(optional) - allowed
    if unknown:
        raise TypeError(f"new_record() got unknown options: {', '.join(sorted(unknown))}")
    return Record(orcid=orcid, given_names=given_names, family_names=family_names or None,
                  password_hash=_hash(password, salt), salt=salt, emails=emails,
                  created=when, modified=when, **optional)


# --- read views (api-facts §3.2, §3.3, §5.4) -------------------------------------------------

_SUMMARY_KEYS = {
    "work": ("title", "external-ids", "url", "type", "publication-date", "journal-title"),
    "funding": ("title", "external-ids", "url", "type", "start-date", "end-date", "organization"),
    "research-resource": ("proposal",),
    "peer-review": ("reviewer-role", "external-ids", "review-url", "review-type",
                    "completion-date", "review-group-id", "convening-organization"),
}
_AFFILIATION_KEYS = ("department-name", "role-title", "start-date", "end-date", "organization",
                     "url", "external-ids")
_GROUPING = ("self", "version-of")


def with_normalized(value):
    """A deep copy in which every external id carries ORCID's transient normalised value."""
    if isinstance(value, list):
        return [with_normalized(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: with_normalized(v) for k, v in value.items()}
    if "external-id-type" in out and "external-id-value" in out:
        out["external-id-normalized"] = {
            "value": normalize_id(out["external-id-type"], str(out["external-id-value"])),
            "transient": True}
    return out


def item_json(record: Record, item: Item) -> dict:
    """The full item as a read returns it."""
    return with_normalized(item.to_json(record.orcid))


def summary_json(record: Record, item: Item) -> dict:
    """The ``{section}-summary`` of an item (the fields ORCID's summary types have)."""
    full = item.to_json(record.orcid)
    if item.section == "peer-review":
        full["external-ids"] = full.get("review-identifiers")
        full["completion-date"] = full.get("review-completion-date")
    keys = _SUMMARY_KEYS.get(item.section, _AFFILIATION_KEYS)
    out = {k: full[k] for k in ("created-date", "last-modified-date", "source")}
    out.update({k: full.get(k) for k in keys})
    if item.section == "research-resource":
        out["proposal"] = full.get("proposal")
    out.update({k: full[k] for k in ("put-code", "path", "visibility", "display-index")})
    return with_normalized(out)


def _group(summaries: list[tuple[Item, dict]], ids_of) -> list[dict]:
    """Merge summaries that share a self/version-of external id (normalised): union-find."""
    parent = list(range(len(summaries)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[tuple, int] = {}
    for index, (_item, summary) in enumerate(summaries):
        for ext in ids_of(summary):
            if ext.get("external-id-relationship") in _GROUPING:
                kind = ext.get("external-id-type")
                key = (kind, normalize_id(kind, str(ext.get("external-id-value"))))
                if key in owner:
                    parent[root(index)] = root(owner[key])
                else:
                    owner[key] = index
    members: dict[int, list[tuple[Item, dict]]] = {}
    for index, pair in enumerate(summaries):
        members.setdefault(root(index), []).append(pair)
    out = []
    for group in sorted(members.values(), key=lambda g: min(i.put_code for i, _ in g)):
        ids, seen = [], set()
        for _item, summary in group:
            for ext in ids_of(summary):
                mark = (ext.get("external-id-type"),
                        (ext.get("external-id-normalized") or {}).get("value"))
                if ext.get("external-id-relationship") in _GROUPING and mark not in seen:
                    seen.add(mark)
                    ids.append(ext)
        out.append({"last-modified-date": {"value": max(i.modified for i, _ in group)},
                    "external-ids": {"external-id": ids},
                    "summaries": [s for _, s in group]})
    return out


def _ids(summary: dict) -> list:
    if "proposal" in summary:
        return ((summary.get("proposal") or {}).get("external-ids") or {}).get("external-id") or []
    return (summary.get("external-ids") or {}).get("external-id") or []


def activity_section_json(record: Record, section: str, can_see) -> dict:
    """``GET /works``, ``/employments``, …: the visible items' summaries, grouped."""
    items = [i for i in record.section_items(section) if can_see(i)]
    summaries = [(i, summary_json(record, i)) for i in items]
    body: dict = {"last-modified-date": _latest(items)}
    key = f"{section}-summary"
    if section == "peer-review":
        by_group: dict[str, list] = {}
        for item, summary in summaries:
            by_group.setdefault(summary.get("review-group-id") or "", []).append((item, summary))
        groups = []
        for group_id, members in by_group.items():
            inner = [{"last-modified-date": g["last-modified-date"],
                      "external-ids": g["external-ids"], key: g["summaries"]}
                     for g in _group(members, _ids)]
            groups.append({"last-modified-date": {"value": max(i.modified for i, _ in members)},
                           "external-ids": {"external-id": [{
                               "external-id-type": "peer-review", "external-id-value": group_id,
                               "external-id-url": None, "external-id-relationship": None}]},
                           "peer-review-group": inner})
        body["group"] = groups
    elif section in ("work", "funding", "research-resource"):
        body["group"] = [{"last-modified-date": g["last-modified-date"],
                          "external-ids": g["external-ids"], key: g["summaries"]}
                         for g in _group(summaries, _ids)]
    else:
        body["affiliation-group"] = [
            {"last-modified-date": g["last-modified-date"], "external-ids": g["external-ids"],
             "summaries": [{key: s} for s in g["summaries"]]} for g in _group(summaries, _ids)]
    body["path"] = f"/{record.orcid}/{ACTIVITIES[section]}"
    return body


def _latest(items) -> dict | None:
    return {"value": max(i.modified for i in items)} if items else None


def person_section_json(record: Record, section: str, can_see) -> dict:
    """``GET /keywords``, ``/other-names``, …: the visible items, in full."""
    items = [i for i in record.section_items(section) if can_see(i)]
    return {"last-modified-date": _latest(items), PERSON[section]: [item_json(record, i)
                                                                   for i in items],
            "path": f"/{record.orcid}/{section}"}


def emails_json(record: Record, can_see_visibility) -> dict:
    """``GET /email``: verified addresses the caller may see (api-facts §3.3)."""
    emails = [{"created-date": {"value": record.created},
               "last-modified-date": {"value": record.modified}, "source": None,
               "email": e.email, "path": None, "visibility": e.visibility, "verified": True,
               "primary": e.primary, "put-code": None}
              for e in record.emails if e.verified and can_see_visibility(e.visibility)]
    return {"last-modified-date": {"value": record.modified} if emails else None,
            "email": emails, "path": f"/{record.orcid}/email"}


def name_json(record: Record, can_see_visibility) -> dict | None:
    """The name, or None when the caller may not see it."""
    if not can_see_visibility(record.name_visibility):
        return None
    return {"created-date": {"value": record.created},
            "last-modified-date": {"value": record.modified},
            "given-names": {"value": record.given_names},
            "family-name": {"value": record.family_names} if record.family_names else None,
            "credit-name": {"value": record.credit_name} if record.credit_name else None,
            "source": None, "visibility": record.name_visibility, "path": record.orcid}


def biography_json(record: Record, can_see_visibility) -> dict | None:
    """The biography, or None when absent or not visible."""
    if not record.biography or not can_see_visibility(record.biography_visibility):
        return None
    return {"created-date": {"value": record.created},
            "last-modified-date": {"value": record.modified}, "content": record.biography,
            "visibility": record.biography_visibility, "path": f"/{record.orcid}/biography"}


def personal_details_json(record: Record, can_see, can_see_visibility) -> dict:
    """``GET /personal-details``: name, other names, biography."""
    return {"last-modified-date": {"value": record.modified},
            "name": name_json(record, can_see_visibility),
            "other-names": person_section_json(record, "other-names", can_see),
            "biography": biography_json(record, can_see_visibility),
            "path": f"/{record.orcid}/personal-details"}


def person_json(record: Record, can_see, can_see_visibility) -> dict:
    """``GET /person``."""
    section = {s: person_section_json(record, s, can_see) for s in PERSON}
    return {"last-modified-date": {"value": record.modified},
            "name": name_json(record, can_see_visibility),
            "other-names": section["other-names"],
            "biography": biography_json(record, can_see_visibility),
            "researcher-urls": section["researcher-urls"],
            "emails": emails_json(record, can_see_visibility),
            "addresses": section["address"], "keywords": section["keywords"],
            "external-identifiers": section["external-identifiers"],
            "path": f"/{record.orcid}/person"}


def activities_json(record: Record, can_see) -> dict:
    """``GET /activities``: every activity section's summaries."""
    body: dict = {"last-modified-date": {"value": record.modified}}
    for section in sorted(ACTIVITIES, key=lambda s: ACTIVITIES[s]):
        body[ACTIVITIES[section]] = activity_section_json(record, section, can_see)
    body["path"] = f"/{record.orcid}/activities"
    return body


def record_json(record: Record, can_see, can_see_visibility) -> dict:
    """``GET /record``: identifier, preferences, history, person, activities."""
    return {
        "orcid-identifier": {"uri": f"https://{SANDBOX_HOST}/{record.orcid}",
                             "path": record.orcid, "host": SANDBOX_HOST},
        "preferences": {"locale": record.locale},
        "history": {"creation-method": "API", "completion-date": None,
                    "submission-date": {"value": record.created},
                    "last-modified-date": {"value": record.modified}, "claimed": True,
                    "source": None, "deactivation-date": None,
                    "verified-email": any(e.verified for e in record.emails),
                    "verified-primary-email": any(e.verified and e.primary
                                                  for e in record.emails),
                    "visibility": "public"},
        "person": person_json(record, can_see, can_see_visibility),
        "activities-summary": activities_json(record, can_see),
        "path": f"/{record.orcid}",
    }


def _brief(item: Item) -> dict:
    data = item.data
    org = data.get("organization") or {}
    # summary-3.0.xsd spells this type "invited-postition"; ORCID's own schema wins.
    kind = "invited-postition" if item.section == "invited-position" else item.section
    return {"put-code": item.put_code, "type": kind,
            "organization-name": org.get("name"), "role": data.get("role-title"),
            "url": (data.get("url") or {}).get("value"), "start-date": data.get("start-date"),
            "end-date": data.get("end-date"), "validated": item.source_client_id is not None}


def record_summary_json(record: Record, can_see) -> dict:
    """``GET /summary`` (summary_3.0): counts, and brief affiliations; "validated" items are
    those a client (not the researcher) asserted."""
    def visible(*sections):
        return [i for s in sections for i in record.section_items(s) if can_see(i)]

    def counts(section):
        items = visible(section)
        validated = sum(1 for i in items if i.source_client_id)
        return {"self-asserted-count": len(items) - validated, "validated-count": validated}

    def briefs(key, *sections):
        items = visible(*sections)
        return {"count": len(items), key: [_brief(i) for i in items]}

    reviews = visible("peer-review")
    return {
        "created-date": {"value": record.created},
        "last-modified-date": {"value": record.modified},
        "credit-name": record.display_name,
        "orcid-identifier": {"uri": f"https://{SANDBOX_HOST}/{record.orcid}",
                             "path": record.orcid, "host": SANDBOX_HOST},
        "external-identifiers": {"external-identifier": [
            {"put-code": i.put_code, "external-id-type": i.data.get("external-id-type"),
             "external-id-value": i.data.get("external-id-value"),
             "external-id-url": (i.data.get("external-id-url") or {}).get("value"),
             "validated": i.source_client_id is not None}
            for i in visible("external-identifiers")]},
        "employments": briefs("employment", "employment"),
        "professional-activities": briefs("professional-activity", "distinction",
                                          "invited-position", "membership", "service"),
        "fundings": counts("funding"), "works": counts("work"),
        "peer-reviews": {"peer-review-publication-grants": len(
            {i.data.get("review-group-id") for i in reviews}),
            "self-asserted-count": sum(1 for i in reviews if not i.source_client_id),
            "total": len(reviews)},
        "education-qualifications": briefs("education-qualification", "education",
                                           "qualification"),
        "research-resources": counts("research-resource"),
        "email-domains": None,  # the XSD wants at least one domain; the emulator has none
    }
