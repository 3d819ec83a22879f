"""The host's API: "this local object should be on ORCID as this item" / "it is gone".

Both calls only write rows in the host's session (joined to its transaction by
zope.sqlalchemy), so the push commits or rolls back with the host's own change. The worker
sends them later.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..models.meta import utcnow
from ..models.sync import (
    STATUS_PENDING,
    STATUS_REJECTED,
    STATUS_SYNCED,
    OrcidItem,
    OrcidOutbox,
)
from .payload import describe, kind_name
from .queueing import queue_puts

ACTION_PUT = "put"
ACTION_REMOVE = "remove"


class SyncService:
    """Records what the host wants on ORCID; the worker makes it so."""

    def __init__(self, dbsession, settings=None) -> None:
        self.dbsession = dbsession
        self.settings = settings

    def put(self, user_id, local_key, item) -> OrcidOutbox:
        """Ask for ``item`` (a builder object) to be on ``user_id``'s record as ``local_key``.

        Raises the builder's ``OrcidValidationError`` at once when the item is not valid, so
        the host can tell its user before anything is stored. The row is written with the
        session's next flush, together with every other ``put`` of the transaction
        (:mod:`~orcid_pyramid.sync.queueing`: a few statements for any number of puts).
        """
        return queue_puts(self.dbsession, str(user_id), [self._describe(local_key, item)])[0]

    def put_many(self, user_id, items: dict) -> list[OrcidOutbox]:
        """``put`` for many objects of one user (``{local_key: item}``)."""
        described = [self._describe(key, item) for key, item in items.items()]
        rows = queue_puts(self.dbsession, str(user_id), described)
        self.dbsession.flush()
        return rows

    @staticmethod
    def _describe(local_key, item) -> tuple:
        validate = getattr(item, "validate", None)
        if callable(validate):
            validate()
        payload = item.content_json() if hasattr(item, "content_json") else item.to_json()
        section = kind_name(item.section)
        title = getattr(item, "title", None)
        if not isinstance(title, str):
            title = describe(section, payload)
        return section, str(local_key), ACTION_PUT, payload, item.content_hash(), title

    def remove(self, user_id, local_key, section) -> OrcidOutbox | None:
        """Ask for the item sent for ``local_key`` in ``section`` to be deleted from ORCID."""
        return self._enqueue(str(user_id), kind_name(section), str(local_key), ACTION_REMOVE,
                             None, None, None)

    def _enqueue(self, user_id, section, local_key, action, payload, content_hash, title,
                 lookup=None, flush=True):
        now = utcnow()
        if lookup is None:
            registry_row = self.dbsession.execute(
                select(OrcidItem).where(OrcidItem.user_id == user_id,
                                        OrcidItem.section == section,
                                        OrcidItem.local_key == local_key)
            ).scalar_one_or_none()
            pending = self._pending(user_id, section, local_key)
        else:
            registry_row = lookup[0].get((section, local_key))
            pending = lookup[1].get((section, local_key))
        if action == ACTION_REMOVE and registry_row is None and pending is None:
            return None  # never sent, nothing pending: nothing to remove
        if title is None:
            title = registry_row.title if registry_row is not None else local_key
        # Coalesce into the row nobody is sending yet. The UPDATE is conditional so that a
        # worker claiming the row at the same moment wins cleanly: then we add a new row.
        values = {"action": action, "payload": payload, "content_hash": content_hash,
                  "title": title[:500], "next_attempt_at": now, "last_error": None}
        row = pending
        if row is not None:
            result = self.dbsession.execute(
                update(OrcidOutbox)
                .where(OrcidOutbox.id == row.id, OrcidOutbox.locked_by.is_(None),
                       OrcidOutbox.done_at.is_(None))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                self.dbsession.expire(row)
            else:
                row = None  # a worker claimed it meanwhile: this wish gets its own row
        if row is None:
            row = OrcidOutbox(user_id=user_id, section=section, local_key=local_key,
                              created_at=now, attempts=0, **values)
            self.dbsession.add(row)
            if lookup is not None:
                lookup[1][(section, local_key)] = row
        if action == ACTION_PUT:
            if registry_row is None:
                registry_row = OrcidItem(user_id=user_id, section=section, local_key=local_key,
                                         status=STATUS_PENDING, title=title[:500],
                                         updated_at=now)
                self.dbsession.add(registry_row)
                if lookup is not None:
                    lookup[0][(section, local_key)] = registry_row
            elif registry_row.content_hash != content_hash:
                registry_row.title = title[:500]
                registry_row.updated_at = now
                if registry_row.status in (STATUS_SYNCED, STATUS_REJECTED):
                    registry_row.status = STATUS_PENDING
        if flush:
            self.dbsession.flush()
        return row

    def _pending(self, user_id, section, local_key) -> OrcidOutbox | None:
        """The not-yet-claimed row for this key, if any (a claimed one is being sent)."""
        return self.dbsession.execute(
            select(OrcidOutbox).where(
                OrcidOutbox.user_id == user_id, OrcidOutbox.section == section,
                OrcidOutbox.local_key == local_key, OrcidOutbox.done_at.is_(None),
                OrcidOutbox.locked_by.is_(None),
            ).order_by(OrcidOutbox.id.desc()).limit(1)
        ).scalar_one_or_none()
