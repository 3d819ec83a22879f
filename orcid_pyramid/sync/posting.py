"""Creating items: POST (new works in bulk, 100 a call), 409 adoption, lost answers.

A mixin of :class:`~orcid_pyramid.sync.sender.UserSender`, split out to keep files small.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..client.errors import OrcidConflict, OrcidError, OrcidUnauthorized
from ..models.meta import utcnow
from .items import item_for
from .outcome import Revoked
from .reconcile import reconcile

BULK_MAX = 100
#: bulk calls for one researcher's new works sent side by side
PARALLEL_BULK = 4


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
        item.put_code = int(put_code)
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
        """POST new works 100 a call, up to ``PARALLEL_BULK`` calls at a time.

        The chunks hold distinct new items, so they are independent: sending them side by
        side (still through the shared rate bucket) saves one round trip per chunk. Only the
        HTTP calls run in threads; every outcome is recorded here, on the worker's session.
        """
        batches = [new_works[i:i + BULK_MAX] for i in range(0, len(new_works), BULK_MAX)]
        for start in range(0, len(batches), PARALLEL_BULK):
            group = batches[start:start + PARALLEL_BULK]
            for batch in group:
                for _row, item in batch:
                    item.post_in_flight = True
                    item.last_attempt_at = utcnow()
            self.session.commit()  # flag first: a lost answer must lead to reconcile
            revoked = False
            for batch, outcome in zip(group, self._send_bulk(api, group), strict=True):
                if isinstance(outcome, OrcidUnauthorized):
                    revoked = True
                    continue
                self._bulk_results(api, batch, outcome)
            if revoked:
                raise Revoked()

    def _send_bulk(self, api, group) -> list:
        """One ``create_works`` per batch; each result is the list or the error raised."""
        raw = getattr(api, "raw", api)  # no session commits from other threads

        def send(batch):
            try:
                return raw.create_works([item_for(row.section, row.payload)
                                         for row, _ in batch])
            except OrcidError as exc:
                return exc

        if len(group) == 1:
            return [send(group[0])]
        with ThreadPoolExecutor(max_workers=len(group)) as pool:
            return list(pool.map(send, group))

    def _bulk_results(self, api, batch, outcome) -> None:
        """Record one bulk call's per-item results (put code, 409, error)."""
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
