"""A researcher's ORCID record in the emulator: name, emails, biography and items.

Items are stored in ORCID's JSON shape (``Item.data`` holds what the client sent, normalised);
ORCID's metadata (put code, source, visibility, dates) lives beside it and is merged in by
``Item.to_json``. The read views (summaries, groups, person, activities) are in ``views.py``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import operator
import os
import time
from dataclasses import dataclass, field

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
#: the sort key of a section's items (in C: a lambda was a call per item and read)
_PUT_CODE = operator.attrgetter("put_code")
#: item versions: every assignment to an item's field takes the next number
_VERSIONS = itertools.count(1)


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


@functools.lru_cache(maxsize=1024)
def source_json(client_id: str | None, name: str, orcid: str) -> dict:
    """ORCID's six-key ``source``: the client when a client wrote it, else the record owner.

    Built once per client, name and record (a bulk answer has 100 of the same): shared by
    the renderings, so callers must not mutate it."""
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


@dataclass(init=False)
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
    #: the duplicate rule's keys (duplicates.duplicate_keys), kept with the data
    keys: frozenset = frozenset()

    def __init__(self, section: str, put_code: int, data: dict, visibility: str,
                 source_client_id: str | None, source_name: str, created: int, modified: int,
                 display_index: str = "0", keys: frozenset = frozenset()) -> None:
        # the fields at once, one version: through __setattr__ one at a time, a new item took
        # ten versions, some 8 % of the emulator's handling of a bulk POST (cProfile)
        self.__dict__.update(
            section=section, put_code=put_code, data=data, visibility=visibility,
            source_client_id=source_client_id, source_name=source_name, created=created,
            modified=modified, display_index=display_index, keys=keys,
            version=next(_VERSIONS))

    def __setattr__(self, name: str, value) -> None:
        # Any change makes a new version and drops the renderings cached for the old one
        # (views.py), so a read after a write can never be served stale data.
        object.__setattr__(self, name, value)
        object.__setattr__(self, "version", next(_VERSIONS))
        self.__dict__.pop("rendered", None)

    def cached(self, key: tuple, build):
        """``build()``'s value, computed once per ``key`` and version of this item.

        Callers must not mutate the value: it is shared by every later read of this version.
        """
        cache = self.__dict__.setdefault("rendered", {})
        value = cache.get(key)
        if value is None:
            value = cache[key] = build()
        return value

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
#: ORCID's metadata keys of an item, never stored in ``Item.data``
META_KEYS = frozenset(_META_KEYS)


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
    #: record states ORCID checks on every call (orcid-facts/member-api.md#writes)
    locked: bool = False
    deactivated: bool = False
    deprecated_to: str | None = None
    created: int = field(default_factory=now_ms)
    modified: int = field(default_factory=now_ms)
    #: section (canonical) -> put code -> item
    items: dict[str, dict[int, Item]] = field(default_factory=dict)
    #: the duplicate rule's index: section -> (source client, duplicate key) -> put codes.
    #: Kept by ``add``/``reindex``; entries may go stale (removed or edited items) and are
    #: checked against the item on every lookup, so a stale entry never makes a false 409.
    _duplicate_index: dict = field(default_factory=dict, repr=False, compare=False)

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
        return sorted(self.items.get(section, {}).values(), key=_PUT_CODE)

    def find(self, section: str, put_code: int) -> Item | None:
        """One item, or None."""
        return self.items.get(section, {}).get(put_code)

    def add(self, item: Item) -> None:
        """Store a new item and touch the record."""
        self.items.setdefault(item.section, {})[item.put_code] = item
        self.reindex(item)
        self.modified = max(self.modified, item.modified)

    def reindex(self, item: Item) -> None:
        """Index ``item.keys`` for the duplicate check (call after changing them)."""
        if item.source_client_id is None or not item.keys:
            return  # the researcher's own items never clash with a client's
        index = self._duplicate_index.setdefault(item.section, {})
        for key in item.keys:
            index.setdefault((item.source_client_id, key), set()).add(item.put_code)

    def find_duplicate(self, section: str, client_id: str, keys: frozenset,
                       skip: int | None = None) -> int | None:
        """The lowest put code of ``client_id``'s items in ``section`` sharing one of
        ``keys`` (``duplicates.duplicate_keys``), ``skip`` left out; None when none does.

        The same answer as scanning every item of the section, without the scan.
        """
        index = self._duplicate_index.get(section)
        if not index or not keys:
            return None
        section_items = self.items.get(section, {})
        found = None
        for key in keys:
            for code in index.get((client_id, key), ()):
                item = section_items.get(code)
                if (code != skip and item is not None and item.source_client_id == client_id
                        and key in item.keys and (found is None or code < found)):
                    found = code
        return found

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
    ``locale``, ``locked``, ``deactivated``, ``deprecated_to`` (the primary record's iD),
    ``now`` (seconds since the epoch).
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
               "default_visibility", "locale", "locked", "deactivated", "deprecated_to"}
    unknown = set(optional) - allowed
    if unknown:
        raise TypeError(f"new_record() got unknown options: {', '.join(sorted(unknown))}")
    return Record(orcid=orcid, given_names=given_names, family_names=family_names or None,
                  password_hash=_hash(password, salt), salt=salt, emails=emails,
                  created=when, modified=when, **optional)
