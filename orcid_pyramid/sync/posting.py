"""Creating items: POST (new works in bulk, 100 a call), 409 adoption, lost answers.

A mixin of :class:`~orcid_pyramid.sync.sender.UserSender`, split out to keep files small.
"""

from __future__ import annotations

import logging

from ..client.errors import OrcidConflict, OrcidError, OrcidMalformedResponse, OrcidUnauthorized
from ..models.meta import utcnow
from .items import item_for
from .lease import LeaseLost
from .outcome import Revoked
from .reconcile import reconcile

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


class PostingMixin:
    """POST paths of the sender (needs ``session``, ``counts``, ``_finish``, ``_failed``,
    ``_update``)."""

    def _create(self, api, row, item) -> None:
        item.post_in_flight = True
        item.last_attempt_at = utcnow()
        self.session.commit()  # flag first: a lost answer must lead to reconcile, not a repost
        try:
            put_code = api.create(row.section, item_for(row.section, row.payload))
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
            put_code = reconcile(api, row.section, row.payload, self.client_id)
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
        user's lease) through the shared rate bucket. Each chunk is flagged in flight and
        committed before its call, its outcome committed right after, so a lost answer leads
        to reconcile, never to a repost; the lease is renewed between chunks.
        """
        for start in range(0, len(new_works), BULK_MAX):
            if not self.renew():
                raise LeaseLost(self.user_id)  # another worker owns this user now
            batch = new_works[start:start + BULK_MAX]
            for _row, item in batch:
                item.post_in_flight = True
                item.last_attempt_at = utcnow()
            self.session.commit()  # flag first: a lost answer must lead to reconcile
            try:
                outcome = api.create_works([item_for(row.section, row.payload)
                                            for row, _ in batch])
            except OrcidUnauthorized:
                raise Revoked() from None
            except OrcidError as exc:
                outcome = exc
            self._bulk_results(api, batch, outcome)

    def _bulk_results(self, api, batch, outcome) -> None:
        """Record one bulk call's per-item results (put code, 409, error)."""
        if not isinstance(outcome, OrcidError) and (
                not isinstance(outcome, list | tuple) or len(outcome) != len(batch)):
            # a non-conforming client: without one result per work nothing can be matched
            outcome = OrcidMalformedResponse(
                f"the bulk POST answered {_length(outcome)} results for {len(batch)} works")
        if isinstance(outcome, OrcidError):
            for row, item in batch:
                self._failed(row, item, outcome)
            return
        for (row, item), result in zip(batch, outcome, strict=True):
            try:
                if isinstance(result, OrcidConflict):
                    self._conflict(api, row, item, result)
                elif isinstance(result, OrcidError):
                    self._failed(row, item, result)
                else:
                    self._created(row, item, result, commit=False)
            except OrcidUnauthorized:
                raise Revoked() from None
            except OrcidError as exc:
                self._failed(row, item, exc)
        self.session.commit()  # the put codes of the whole batch at once


def _length(outcome) -> str:
    return str(len(outcome)) if isinstance(outcome, list | tuple) else f"no list ({outcome!r:.40})"
