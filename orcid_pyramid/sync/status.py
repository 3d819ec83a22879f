"""What was sent to ORCID, in words: display objects for the user's panel and the admin page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..i18n import _
from ..models.sync import OrcidItem, OrcidOutbox

#: the words the panel shows for each item status
STATUS_TEXT = {
    "pending": _("waiting to be sent"),
    "synced": _("in ORCID"),
    "deleted_on_orcid": _("deleted by you on ORCID"),
    "revoked": _("access revoked: connect your ORCID iD again to resume"),
    "rejected": _("rejected by ORCID"),
    "retrying": _("ORCID did not answer; will retry"),
}

#: the same statuses in an administrator's words (the item belongs to someone else)
ADMIN_STATUS_TEXT = {
    "pending": _("waiting to be sent"),
    "synced": _("on ORCID"),
    "deleted_on_orcid": _("deleted by the researcher on ORCID; not sent again"),
    "revoked": _("the researcher withdrew access; waits until they connect again"),
    "rejected": _("rejected by ORCID"),
    "retrying": _("ORCID did not answer; will retry"),
}

#: section names in words (the sync engine stores ORCID's singular item names)
SECTION_TEXT = {
    "work": _("Work"),
    "funding": _("Funding"),
    "employment": _("Employment"),
    "education": _("Education"),
    "distinction": _("Distinction"),
    "invited-position": _("Invited position"),
    "membership": _("Membership"),
    "qualification": _("Qualification"),
    "service": _("Service"),
    "peer-review": _("Peer review"),
    "research-resource": _("Research resource"),
    "other-names": _("Other name"),
    "keywords": _("Keyword"),
    "researcher-urls": _("Website or social link"),
    "external-identifiers": _("Other identifier"),
    "address": _("Country"),
}


def section_text(section: str) -> str:
    """A section's name in words; an unknown one made readable (``foo-bar`` -> ``Foo bar``)."""
    return SECTION_TEXT.get(section) or section.replace("-", " ").replace("_", " ").capitalize()


@dataclass(frozen=True)
class ItemStatus:
    """One local object's state on ORCID, ready for a template."""

    section: str
    local_key: str
    title: str
    put_code: int | None
    status: str
    status_text: str
    last_error: str | None
    last_attempt_at: datetime | None
    changed_on_orcid: bool = False
    user_id: str | None = None
    orcid: str | None = None

    @property
    def section_text(self) -> str:
        """The section in words ("Work", "Employment")."""
        return section_text(self.section)

    @property
    def admin_status_text(self) -> str:
        """The status in an administrator's words (the panel's are the researcher's)."""
        return status_text(self.status, self.last_error, ADMIN_STATUS_TEXT)


def status_text(status: str, last_error: str | None = None, words: dict | None = None) -> str:
    """The panel's words for ``status`` (a rejection carries ORCID's message); ``words``
    picks another table (:data:`ADMIN_STATUS_TEXT`)."""
    text = (words or STATUS_TEXT).get(status, status)
    if status == "rejected" and last_error:
        # ORCID's own message follows the status words
        return _("${status}: ${error}", status=text, error=last_error)
    if status == "retrying" and (last_error or "").startswith("OrcidMalformedResponse"):
        return _("ORCID's answer could not be read; will retry")
    return text


def item_status(row) -> ItemStatus:
    return ItemStatus(
        section=row.section,
        local_key=row.local_key,
        title=row.title or row.local_key,
        put_code=row.put_code,
        status=row.status,
        status_text=status_text(row.status, row.last_error),
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        changed_on_orcid=bool(row.changed_on_orcid),
        user_id=row.user_id,
        orcid=row.orcid,
    )


def items_for_user(dbsession, user_id) -> list[ItemStatus]:
    """The user's items known to the sync engine, by section then title."""
    rows = dbsession.execute(
        select(OrcidItem)
        .where(OrcidItem.user_id == str(user_id))
        .order_by(OrcidItem.section, OrcidItem.title, OrcidItem.id)
    ).scalars()
    return [item_status(row) for row in rows]


def items_for_admin(dbsession, *, status: str | None = None, limit: int = 200, offset: int = 0
                    ) -> list[ItemStatus]:
    """Every user's items (optionally one status), the most recently changed first."""
    query = select(OrcidItem).order_by(OrcidItem.updated_at.desc(), OrcidItem.id.desc())
    if status:
        query = query.where(OrcidItem.status == status)
    rows = dbsession.execute(query.limit(limit).offset(offset)).scalars()
    return [item_status(row) for row in rows]


def pending_count(dbsession, user_id=None) -> int:
    """How many outbox rows are not done yet (for one user, or everyone)."""
    query = select(func.count()).select_from(OrcidOutbox).where(OrcidOutbox.done_at.is_(None))
    if user_id is not None:
        query = query.where(OrcidOutbox.user_id == str(user_id))
    return dbsession.execute(query).scalar_one()
