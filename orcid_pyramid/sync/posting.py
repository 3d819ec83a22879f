"""Creating items: POST (new works in bulk, 100 a call), 409 adoption, lost answers.

A lost answer (the POST may have created the item) is reconciled: the section is read once
per run, this client's item with the same ``self`` external ids is adopted, and its stored
content is compared with ours (one bulk read per 100 works) so that only what differs is
PUT. A failed bulk is retried as a bulk: its rows share one retry delay and come back
together.

A mixin of :class:`~orcid_pyramid.sync.sender.UserSender`, split out to keep files small.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..client.errors import OrcidConflict, OrcidError, OrcidMalformedResponse, OrcidUnauthorized
from ..models.meta import utcnow
from ..models.sync import STATUS_SYNCED, OrcidItem, OrcidOutbox
from .items import item_for
from .outcome import Revoked
from .payload import section_name
from .reconcile import match_put_code, same_content
from .rows import finished_values
from .setall import set_all

BULK_MAX = 100

log = logging.getLogger("orcid_pyramid.sync")


def answered_put_code(value) -> int:
    """The put code a create call handed back, as an int.

    The project's client only returns positive integers; anything else (``None``, ``"abc"``,
    ``0``, ``True``) comes from a non-conforming client or answer and is treated as ORCID's
    malformed answer (:class:`OrcidMalformedResponse`, retried), never as a crash.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise OrcidMalformedResponse(f"ORCID's answer to the POST has no put code: {value!r}")
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise OrcidMalformedResponse(f"ORCID's answer to the POST has an invalid put code: "
                                     f"{value!r}")
    return int(text)


def created_values(now, put_codes: dict, hashes: dict) -> dict:
    """What a registry row takes when its POST created the item (per id: put code, hash)."""
    return {"put_code": put_codes, "content_hash": hashes, "post_in_flight": False,
            "remote_modified": None, "status": STATUS_SYNCED, "last_error": None,
            "last_attempt_at": now, "updated_at": now}


class PostingMixin:
    """POST paths of the sender (needs ``session``, ``counts``, ``_finish``, ``_failed``,
    ``_update``)."""

    def _create(self, api, row, item) -> None:
        item.post_in_flight = True
        item.last_attempt_at = utcnow()
        self.session.commit()  # flag first: a lost answer must lead to reconcile, not a repost
        try:
            put_code = api.create(row.section, item_for(row.section, self._payload(row)))
        except OrcidConflict as exc:
            self._conflict(api, row, item, exc)
            return
        self._created(row, item, put_code)

    def _created(self, row, item, put_code, commit: bool = True) -> None:
        try:
            put_code = answered_put_code(put_code)
        except OrcidMalformedResponse as exc:
            # The POST may well have created the item on ORCID. Raising leaves the item
            # flagged "POST in flight", and the caller's OrcidError path retries the row
            # (the error is retryable), so the next attempt reconciles and adopts the put
            # code instead of posting a duplicate; rejecting it would forget the flag.
            log.warning("user %s, %s %s: %s", self.user_id, row.section, row.local_key, exc)
            raise
        item.put_code = put_code
        item.post_in_flight = False
        item.content_hash = row.content_hash
        item.remote_modified = None
        self.counts.posted += 1
        self._finish(row, item, commit=commit)

    def _conflict(self, api, row, item, exc: OrcidConflict) -> None:
        """409: the item is already there (same external id from this client): adopt, PUT."""
        item.post_in_flight = False
        put_code = exc.existing_put_code
        if put_code is None and exc.duplicate:
            put_code = self._match(api, row, item)
            if put_code is None:  # perhaps created after this run's read: read again
                put_code = self._match(api, row, item, fresh=True)
        if put_code is None:
            self._failed(row, item, exc)
            return
        item.put_code = int(put_code)
        self.counts.adopted += 1
        self.session.commit()
        self._update(api, row, item)

    def _post_all_works(self, api, new_works) -> None:
        """POST new works 100 a call, one call at a time.

        One writer per iD (the issue's rule): never two requests in flight for one record,
        so they cannot race each other there (e.g. on the duplicate check). Parallelism comes
        from several researchers at once (other workers or threads, each holding its own
        user's lease) through the shared rate bucket. Each chunk is marked in flight before
        its call, by the call's own fence (the lease row names the chunk's works, see
        :mod:`~orcid_pyramid.sync.lease`), so a lost answer leads to reconcile, never to a
        repost. Its outcome is committed with the next call's fence or with the giving back.
        """
        for start in range(0, len(new_works), BULK_MAX):
            batch = new_works[start:start + BULK_MAX]
            self.session.flush()  # items created by this run get their ids
            if self.lease_guard is None:  # no lease row: flag each work (committed first)
                set_all([item for _, item in batch], OrcidItem, post_in_flight=True,
                         last_attempt_at=utcnow())
            outcome = self._post_bulk(api, [item.id for _, item in batch],
                                      [self._work_body(row) for row, _ in batch])
            self._bulk_results(api, batch, outcome)

    def _post_bulk(self, api, item_ids: list[int], bodies: list):
        """One bulk POST, marked in flight by its own fence (the lease row names its works):
        its per-work results, or the error of the whole call."""
        guard = self.lease_guard
        if guard is not None:
            guard.posting = ",".join(str(item_id) for item_id in item_ids)
        try:
            return api.create_works(bodies)
        except OrcidUnauthorized:
            raise Revoked() from None
        except OrcidError as exc:
            return exc
        finally:
            if guard is not None:
                guard.posting = None  # later fences (a 409's PUT) keep the marker

    def _bulk_results(self, api, batch, outcome) -> None:
        """Record one bulk call's per-item results (put code, 409, error)."""
        if not isinstance(outcome, OrcidError) and (
                not isinstance(outcome, list | tuple) or len(outcome) != len(batch)):
            # a non-conforming client: without one result per work nothing can be matched
            outcome = OrcidMalformedResponse(
                f"the bulk POST answered {_length(outcome)} results for {len(batch)} works")
        # one delay from one moment for every row of the bulk that is retried: they fall due
        # together and come back as one bulk
        delay = self.retry_delay(max(row.attempts for row, _ in batch) + 1)
        since = utcnow()
        if isinstance(outcome, OrcidError):
            for row, item in batch:
                self._failed_in_bulk(row, item, outcome, delay, since)
            return
        created = []
        for (row, item), result in zip(batch, outcome, strict=True):
            try:
                if isinstance(result, OrcidConflict):
                    self._conflict(api, row, item, result)
                elif isinstance(result, OrcidError):
                    self._failed_in_bulk(row, item, result, delay, since)
                else:
                    created.append((row, item, self._answered(row, result)))
            except OrcidUnauthorized:
                raise Revoked() from None
            except OrcidError as exc:
                if isinstance(result, OrcidConflict):  # ORCID created nothing: no flag
                    self._failed(row, item, exc, delay, commit=False, since=since)
                else:
                    self._failed_in_bulk(row, item, exc, delay, since)
        # the put codes of the whole batch at once, committed with the next call's fence or
        # with the giving back (until then the lease row's marker covers the batch)
        self._record_created(created)

    def _failed_in_bulk(self, row, item, exc: OrcidError, delay: float, since) -> None:
        """A work of a bulk POST failed: retried ones stay flagged "POST in flight" (ORCID
        may have created it: the next attempt reconciles); rejected ones are cleared."""
        item.post_in_flight = True
        self._failed(row, item, exc, delay, commit=False, since=since)

    def _answered(self, row, value) -> int:
        try:
            return answered_put_code(value)
        except OrcidMalformedResponse as exc:  # see _created
            log.warning("user %s, %s %s: %s", self.user_id, row.section, row.local_key, exc)
            raise

    def _record_created(self, created) -> None:
        """The put codes of a bulk in two statements (not one UPDATE per row and table: the
        worker's CPU per bulk was mostly the ORM's row-by-row flush)."""
        if not created:
            return
        now = utcnow()
        items = [item for _, item, _ in created]
        set_all(items, OrcidItem, **created_values(
            now, {i.id: pc for _, i, pc in created},
            {i.id: row.content_hash for row, i, _ in created}))
        set_all([row for row, _, _ in created], OrcidOutbox, **finished_values(now))
        self.counts.posted += len(created)

    # -- lost answers ----------------------------------------------------------------------
    def _match(self, api, row, item, fresh: bool = False) -> int | None:
        """The put code of this client's item on ORCID matching ``row`` (not mapped to
        another local object), from one read of the section per run."""
        if fresh or row.section not in self._sections:
            self._sections[row.section] = api.read(section_name(row.section))
        taken = self._taken.get(row.section)
        if taken is None:
            taken = self._taken[row.section] = set(self.session.execute(
                select(OrcidItem.put_code).where(OrcidItem.orcid == item.orcid,
                                                 OrcidItem.section == row.section,
                                                 OrcidItem.put_code.is_not(None))
            ).scalars())
        found = match_put_code(self._sections[row.section], row.section, self._payload(row),
                               self.client_id, taken)
        if found is not None:
            taken.add(found)
        return found

    def _adopt(self, api, row, item, then_put: bool = True) -> bool:
        """A POST's answer was lost: adopt the item we may have created. True when adopted
        and queued for comparison (``then_put``), so the caller sends nothing yet."""
        found = self._match(api, row, item)
        item.post_in_flight = False
        if found is None:
            return False
        item.put_code = found
        item.content_hash = None  # unknown until compared
        self.counts.adopted += 1
        if then_put:
            self._adopted.append((row, item))
        return then_put

    def _settle_adopted(self, api) -> None:
        """Compare adopted items with what ORCID holds; PUT only those that differ."""
        adopted, self._adopted = self._adopted, []
        if not adopted:
            return  # (a commit here was one more transaction for every researcher)
        works = [pair for pair in adopted if pair[0].section == "work"]
        groups = [works[i:i + BULK_MAX] for i in range(0, len(works), BULK_MAX)]
        groups += [[pair] for pair in adopted if pair[0].section != "work"]
        for group in groups:
            try:
                if group[0][0].section == "work":
                    stored = api.read_works([item.put_code for _, item in group])
                else:
                    row, item = group[0]
                    stored = [api.read_item(row.section, item.put_code)]
            except OrcidUnauthorized:
                raise Revoked() from None
            except OrcidError as exc:
                stored = [{"error": exc}] * len(group)
            for (row, item), held in zip(group, stored, strict=True):
                if "error" not in held and same_content(
                        held, item_for(row.section, self._payload(row))):
                    item.content_hash = row.content_hash
                    self.counts.unchanged += 1
                    self._finish(row, item, commit=False)
                    continue
                try:
                    self._update(api, row, item)
                except OrcidUnauthorized:
                    raise Revoked() from None
                except OrcidError as exc:
                    self._failed(row, item, exc)
        self.session.commit()


def _length(outcome) -> str:
    return str(len(outcome)) if isinstance(outcome, list | tuple) else f"no list ({outcome!r:.40})"
