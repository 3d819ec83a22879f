"""Sync back: read what changed on the record and update the put-code registry (CC-SYNC).

Used by the webhook (ORCID says "this record changed") and by ``orcid-pyramid sync --pull``
(clients without webhooks). One read of the record's activities summary per iD: when its
``last-modified-date`` is not newer than the cursor, nothing changed and nothing else is
done. Otherwise every item this site wrote is looked up by put code: gone → it was deleted
on ORCID (``OrcidItemDeleted``); modified since we last saw it → noted (``OrcidItemChanged``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from ..client.errors import OrcidError, OrcidUnauthorized
from ..events import OrcidItemChanged, OrcidItemDeleted
from ..models.link import STATUS_ACTIVE, OrcidLink
from ..models.meta import utcnow
from ..models.sync import (
    STATUS_DELETED_ON_ORCID,
    STATUS_REVOKED,
    OrcidItem,
    OrcidPullCursor,
)
from .payload import last_modified, put_code_of, section_name, summaries

log = logging.getLogger("orcid_pyramid.sync")


@dataclass
class PullResult:
    """What one pull saw."""

    users: int = 0
    unchanged: int = 0
    deleted: list[tuple[str, int]] = field(default_factory=list)
    changed: list[tuple[str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def pull_link(session, api, link, *, notify=None, request=None, force: bool = False,
              result: PullResult | None = None) -> PullResult:
    """Read ``link``'s record through ``api`` and update its items; ``notify(event)`` events.

    The caller commits (the webhook view runs in the request's transaction).
    """
    result = result or PullResult()
    result.users += 1
    cursor = session.get(OrcidPullCursor, link.orcid)
    if cursor is None:
        cursor = OrcidPullCursor(orcid=link.orcid)
        session.add(cursor)
    try:
        activities = api.read("activities")
    except OrcidUnauthorized:
        link.mark_revoked()
        for item in _items(session, link):
            item.status = STATUS_REVOKED
        result.errors.append(f"{link.orcid}: access revoked")
        return result
    except OrcidError as exc:
        result.errors.append(f"{link.orcid}: {exc.summary()}")
        return result
    modified = last_modified(activities)
    cursor.last_read_at = utcnow()
    if not force and modified is not None and cursor.last_modified is not None \
            and modified <= cursor.last_modified:
        result.unchanged += 1
        return result
    cursor.last_modified = modified
    seen: dict[tuple[str, int], dict] = {}
    unreadable: set[str] = set()  # sections whose summaries ORCID answered without a put code
    for key, section_json in (activities or {}).items():
        if isinstance(section_json, dict):
            for summary in summaries(section_json, key):
                put_code = put_code_of(summary)
                if put_code is not None:
                    seen[(section_name(key), put_code)] = summary
                else:
                    unreadable.add(section_name(key))
    if unreadable:
        result.errors.append(f"{link.orcid}: ORCID's answer lists items without a put code in "
                             f"{', '.join(sorted(unreadable))}; nothing there is taken as "
                             "deleted")
    for item in _items(session, link):
        if item.put_code is None or item.status == STATUS_DELETED_ON_ORCID:
            continue
        if section_name(item.section) in unreadable:
            continue  # an item we cannot find may be the one ORCID listed unreadably
        summary = seen.get((section_name(item.section), int(item.put_code)))
        if summary is None:
            put_code = item.put_code
            item.status = STATUS_DELETED_ON_ORCID
            item.put_code = None
            item.content_hash = None
            item.updated_at = utcnow()
            result.deleted.append((item.section, put_code))
            _notify(notify, OrcidItemDeleted(request, item.user_id, link.orcid, item.section,
                                             put_code, {"local_key": item.local_key}))
            continue
        remote = last_modified(summary)
        if remote is None:
            continue
        if item.remote_modified is not None and remote > item.remote_modified:
            item.changed_on_orcid = True
            item.updated_at = utcnow()
            result.changed.append((item.section, item.put_code))
            _notify(notify, OrcidItemChanged(request, item.user_id, link.orcid, item.section,
                                             item.put_code, {"local_key": item.local_key,
                                                             "last_modified": remote}))
        item.remote_modified = remote
    return result


def _items(session, link) -> list[OrcidItem]:
    return list(session.execute(
        select(OrcidItem).where(OrcidItem.user_id == link.user_id)
    ).scalars())


def _notify(notify, event) -> None:
    if notify is not None:
        notify(event)


def pull_leased(session, client, cipher, link, claim_user, *, result: PullResult | None = None,
                **options) -> PullResult | None:
    """:func:`pull_link` holding the researcher's lease, then committed; None while a sync
    worker holds it (read later: a read in the middle of a push would overlap the writer's
    requests, and works whose put codes came after it would look deleted on ORCID).

    ``claim_user(session, user_id)``: :meth:`~orcid_pyramid.sync.lease.Claimer.claim_user`.
    ``options``: :func:`pull_link`'s. Raises ``TokenDecryptError`` for a token no key reads.
    """
    from .lease import LeaseLost
    from .outcome import CommitFirst

    lease = claim_user(session, link.user_id)
    if lease is None:
        return None
    try:
        # as it is now that no writer can change it (disconnected meanwhile: nothing to read)
        link = session.get(OrcidLink, link.id, populate_existing=True)
        if link is None or link.status != STATUS_ACTIVE or not link.access_token_enc:
            return result or PullResult()
        # fenced before each call: still this worker's lease
        api = CommitFirst(client.member(cipher.decrypt(link.access_token_enc), link.orcid,
                                        log_context={"user_id": link.user_id}),
                          session, fence=lease.fence, no_answer=lease.no_answer)
        result = pull_link(session, api, link, result=result, **options)
        session.commit()
        return result
    except LeaseLost:
        session.rollback()
        return None
    finally:
        lease.release()


def pull_all(session, client, cipher, *, notify=None, request=None, force: bool = False,
             claim_user=None, wait: float = 120.0) -> PullResult:
    """Pull every active link's record, committing after each one.

    ``claim_user``: see :func:`pull_leased`; a record a sync worker is writing to is read
    once the writer is done, waiting at most ``wait`` seconds.
    """
    result = PullResult()
    links = list(session.execute(
        select(OrcidLink).where(OrcidLink.status == STATUS_ACTIVE)
    ).scalars())
    deadline = time.monotonic() + wait
    while links:
        busy = []
        for link in links:
            if not link.access_token_enc:
                continue
            if claim_user is None:
                api = client.member(cipher.decrypt(link.access_token_enc), link.orcid,
                                    log_context={"user_id": link.user_id})
                pull_link(session, api, link, notify=notify, request=request, force=force,
                          result=result)
                session.commit()
            elif pull_leased(session, client, cipher, link, claim_user, result=result,
                             notify=notify, request=request, force=force) is None:
                busy.append(link)
        if not busy:
            break
        if time.monotonic() >= deadline:
            result.errors.extend(f"{link.orcid}: a sync worker kept writing to the record; "
                                 "not read" for link in busy)
            break
        time.sleep(1.0)
        links = busy
    return result
