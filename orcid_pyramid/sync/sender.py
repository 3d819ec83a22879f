"""Send one user's due outbox rows to ORCID (the worker holds that user's lease meanwhile).

POST when the item has no put code (new works in bulk, up to 100 a call), PUT to the put
code when it has one (BP-5), DELETE for removals, nothing when the content hash is unchanged.
Each outcome is committed right after its call, so a crash loses at most the call in flight,
and a POST in flight is flagged first so that the next attempt reconciles instead of
posting a duplicate.
"""

from __future__ import annotations

import logging
import random

from sqlalchemy import bindparam, select

from ..client.errors import (
    OrcidError,
    OrcidNotFound,
    OrcidUnauthorized,
)
from ..crypto import TokenDecryptError
from ..models.link import STATUS_ACTIVE, OrcidLink
from ..models.meta import utcnow
from ..models.sync import (
    STATUS_DELETED_ON_ORCID,
    STATUS_PENDING,
    STATUS_REJECTED,
    OrcidItem,
    OrcidOutbox,
)
from .items import item_for
from .lease import LeaseLost, Unanswered
from .newworks import NewWorksMixin
from .outcome import CommitFirst, Counts, Revoked
from .posting import PostingMixin
from .rows import RowsMixin, among
from .setall import set_all

log = logging.getLogger("orcid_pyramid.sync")

_LINKS = OrcidLink.__table__
#: what the first push reads of the user's link (:meth:`UserSender.run`)
_LINK_SEEN = select(_LINKS.c.user_id, _LINKS.c.orcid, _LINKS.c.status,
                    _LINKS.c.access_token_enc).where(_LINKS.c.user_id == bindparam("link_user"))


def links_seen(connection, users: list[str]) -> dict:
    """PostgreSQL: the columns of :data:`_LINK_SEEN` of each of ``users`` that has a link, by
    user, in one statement."""
    return {row.user_id: row for row in connection.execute(
        select(*_LINK_SEEN.selected_columns).where(among(_LINKS.c.user_id, users,
                                                        "postgresql")))}


class UserSender(NewWorksMixin, RowsMixin, PostingMixin):
    """Drains one user's due rows through ``api_for(link)`` on ``session``."""

    def __init__(self, session, user_id: str, *, api_for, cipher, client_id: str | None,
                 worker_id: str = "worker", lease: float = 60.0, policy: str = "respect",
                 backoff_base: float = 2.0, backoff_cap: float = 3600.0,
                 lease_guard=None, rng: random.Random | None = None) -> None:
        self.session = session
        self.user_id = user_id
        self.worker_id = worker_id
        self.lease = lease
        self.api_for = api_for
        self.cipher = cipher
        self.client_id = client_id
        self.policy = policy
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        #: the user's lease (``fence()`` before each call, ``alive()`` between rows)
        self.lease_guard = lease_guard
        self.rng = rng or random.Random()
        self.counts = Counts()
        self._sections: dict[str, dict] = {}  # section reads of this run (reconcile)
        self._taken: dict[str, set[int]] = {}  # put codes mapped to local objects, by section
        self._adopted: list = []  # (row, item) adopted after a lost answer: compare first
        self._unchanged: list = []  # (row, item) whose content ORCID already has

    # -- entry point ---------------------------------------------------------------------
    def run(self, read=None) -> Counts:
        """Send every due row of the user; returns what happened. ``read``: the link's
        columns (:data:`_LINK_SEEN`), the first push's plan and its content, already read
        with those of other researchers (:func:`~orcid_pyramid.sync.newworks.read_new_works`)."""
        if read is not None:
            seen, plan, texts = read
            if self._guarded(seen, lambda: self._push_new_works(seen, plan, texts)):
                return self.counts
        # the first push needs four columns of the link, read as they are: loaded as an ORM
        # object (a wide row, its JSON claims decoded) the link cost some 1 ms of the
        # worker's CPU per researcher; the ORM path below loads it whole
        seen = self.session.connection().execute(
            _LINK_SEEN, {"link_user": self.user_id}).first()
        plan = self._new_works(seen) if read is None else None
        if plan is not None and self._guarded(seen, lambda: self._push_new_works(seen, plan)):
            return self.counts
        link = self._link() if seen is not None else None  # not connected: nothing to load
        rows = self._due_rows()
        if not rows:
            return self.counts
        items = self._items(rows)
        self._payloads(rows, items)
        if link is None or link.status != STATUS_ACTIVE or not link.access_token_enc:
            self._hold(rows, items, revoked=link is not None)
            return self.counts
        try:
            token = self.cipher.decrypt(link.access_token_enc)
        except TokenDecryptError as exc:
            # a configuration problem (a key dropped before rekey): hold, say why in the log
            log.error("cannot send for user %s: %s", self.user_id, exc)
            self._hold(rows, items, revoked=False)
            return self.counts
        guard = self.lease_guard
        api = CommitFirst(self.api_for(link, token), self.session,
                          fence=guard.fence if guard is not None else None,
                          no_answer=guard.no_answer if guard is not None else None)
        for item in items.values():
            if item.orcid not in (None, link.orcid):
                self._forget_put_code(item)  # the user linked another iD since
                item.orcid = link.orcid
        # the iD of items queued before the user connected (queueing writes it after), in
        # one statement
        set_all([i for i in items.values() if i.orcid is None], OrcidItem, orcid=link.orcid)
        self._guarded(link, lambda: self._send_rows(api, rows, items, link))
        return self.counts

    def _send_rows(self, api, rows, items, link) -> bool:
        """The ORM path: each row by itself (PUT, DELETE, unchanged, adopted), then the new
        works in bulks."""
        new_works: list[tuple[OrcidOutbox, OrcidItem]] = []
        for row in rows:
            if not self.renew():
                raise LeaseLost(self.user_id)  # another worker owns this user now
            item = items.get((row.section, row.local_key))
            queued = self._one(api, row, item, link)
            if queued is not None:
                new_works.append(queued)
        self._finish_unchanged()
        self._settle_adopted(api)
        self._post_all_works(api, new_works)
        return True

    def _link(self) -> OrcidLink | None:
        """The user's link as an ORM object (None: not connected)."""
        return self.session.execute(
            select(OrcidLink).where(OrcidLink.user_id == self.user_id)
        ).scalar_one_or_none()

    def _guarded(self, link, send) -> bool:
        """Run ``send()`` (False: it did nothing), then give the user back with the last
        outcomes; a lease taken over stops it, a revoked token holds the user's rows.
        ``link``: the ORM object, or the columns the first push read (:data:`_LINK_SEEN`)."""
        guard = self.lease_guard
        try:
            if not send():
                return False
            if guard is not None:
                guard.give_back(outcomes_recorded=True)  # committed with the last outcomes
            self.session.commit()
            if guard is not None:
                guard.released = True
        except Unanswered:
            # what was recorded goes with the giving back, which keeps the user taken while
            # ORCID may still hold the request (Lease.no_answer); the other rows wait for then
            log.info("user %s: a request got no answer; nothing more is sent for them until "
                     "ORCID cannot be holding it", self.user_id)
            guard.give_back()
            self.session.commit()
            guard.released = True
        except LeaseLost:
            log.warning("user %s was taken over by another worker; stopped", self.user_id)
        except Revoked:
            if not isinstance(link, OrcidLink):
                link = self._link()
            link.mark_revoked()
            self.session.commit()
            rows = self.session.execute(
                select(OrcidOutbox).where(OrcidOutbox.user_id == self.user_id,
                                          OrcidOutbox.done_at.is_(None))
            ).scalars().all()
            self._hold(rows, self._items(rows), revoked=True)
        return True

    def renew(self) -> bool:
        """Between rows: is the user still ours (renewing the lease now and then)?"""
        return self.lease_guard is None or self.lease_guard.alive()

    # -- one row -------------------------------------------------------------------------
    def _one(self, api, row, item, link):
        """Handle one row; returns (row, item) when it is a new work to POST in bulk."""
        try:
            if row.action == "remove":
                self._remove(api, row, item)
                return None
            if item is None:
                item = OrcidItem(user_id=self.user_id, orcid=link.orcid, section=row.section,
                                 local_key=row.local_key, title=row.title, updated_at=utcnow(),
                                 status=STATUS_PENDING)
                self.session.add(item)
            if row.title and row.title != item.title:
                # (an unconditional set marks every item dirty: the next flush then walks
                # them all, some 40 ms a user of 500 works that changed nothing)
                item.title = row.title
            if item.status == STATUS_DELETED_ON_ORCID and item.put_code is None:
                if self.policy != "re-add":
                    self.counts.deleted_on_orcid += 1
                    self._finish(row, item, status=STATUS_DELETED_ON_ORCID, commit=False)
                    return None
            if item.put_code is None and (item.post_in_flight or row.section != "work"):
                # never post what this client already wrote (a lost answer, or put codes
                # forgotten at a disconnect); works are matched by ORCID's 409 instead
                if self._adopt(api, row, item):
                    return None  # compared with what ORCID holds before any PUT
            if item.put_code is not None:
                if self._is_unchanged(row, item):
                    self.counts.unchanged += 1
                    self._unchanged.append((row, item))  # all at once: _finish_unchanged
                    return None
                self._update(api, row, item)
                return None
            if row.section == "work":
                return (row, item)
            self._create(api, row, item)
        except OrcidUnauthorized:
            raise Revoked() from None
        except OrcidError as exc:
            self._failed(row, item, exc)
        return None

    def _failed(self, row, item, exc: OrcidError, delay: float | None = None,
                commit: bool = True, since=None) -> None:
        """Retry what a retry can fix (5xx, 503, timeouts, resets); otherwise rejected (400,
        403 …) with ORCID's own words, never retried."""
        if exc.retryable:
            self._retry_later(row, item, exc, delay, commit, since)
            return
        message = exc.user_message or exc.developer_message or exc.message
        self.counts.rejected += 1
        self.counts.errors.append(exc.summary())
        if item is not None:
            item.post_in_flight = False
        self._finish(row, item, status=STATUS_REJECTED, error=str(message)[:2000],
                     commit=commit)

    def _remove(self, api, row, item) -> None:
        if item is None:
            self._finish(row)
            return
        if item.put_code is None and item.post_in_flight:
            self._adopt(api, row, item, then_put=False)
        if item.put_code is not None and item.status != STATUS_DELETED_ON_ORCID:
            try:
                api.delete(row.section, item.put_code)
            except OrcidNotFound:
                pass  # already gone on ORCID: the wish is met
            self.counts.deleted += 1
        else:
            self.counts.unchanged += 1
        self.session.delete(item)
        self._finish(row)

    def _update(self, api, row, item) -> None:
        try:
            api.update(row.section, item.put_code, item_for(row.section, self._payload(row),
                                                            put_code=item.put_code))
        except OrcidNotFound:
            self._deleted_on_orcid(api, row, item)
            return
        item.content_hash = row.content_hash
        item.changed_on_orcid = False
        item.remote_modified = None  # our own write: the next read sets a new baseline
        self.counts.updated += 1
        self._finish(row, item)

    def _deleted_on_orcid(self, api, row, item) -> None:
        """404 on PUT: the researcher deleted it on ORCID; the policy decides."""
        self._forget_put_code(item)
        if self.policy == "re-add":
            item.status = STATUS_PENDING
            self.session.commit()
            self._create(api, row, item)
            return
        self.counts.deleted_on_orcid += 1
        self._finish(row, item, status=STATUS_DELETED_ON_ORCID)
