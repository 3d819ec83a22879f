"""Queuing the host's ``put`` calls in bulk, whatever their number per transaction.

``put`` used to look up the registry row and the pending outbox row of its key and to
coalesce into it, four round trips and a flush per call (2.5-5 ms an item, 16-24 s of the
host's request for 5,000 works). Now a ``put`` only builds its new outbox row and adds it to
the session; just before the session flushes, the puts of the transaction are settled
together, per user and section, 500 keys a statement:

- the pending rows nobody is sending yet (``locked_by`` empty) for those keys are deleted:
  the newest wish replaces them (one pending row per object, as before); a row a worker has
  claimed is left alone, the new row follows it;
- the registry rows (``OrcidItem``) are read, created when missing, and marked pending when
  the content changed.

The new rows are inserted by the flush itself (SQLAlchemy batches the inserts).
"""

from __future__ import annotations

import functools
from collections import defaultdict

from sqlalchemy import any_, bindparam, delete, event, func, insert, inspect, select, true

from ..models.link import OrcidLink
from ..models.meta import PLAN_FOR_THE_VALUES, utcnow
from ..models.sync import (
    STATUS_PENDING,
    STATUS_REJECTED,
    STATUS_SYNCED,
    OrcidItem,
    OrcidOutbox,
)
from .rows import among, by_key, items_by_key, lookup_params

_QUEUED = "orcid_sync_queued"  # session.info: puts waiting for the flush
_LISTENING = "orcid_sync_listening"
CHUNK = 500


def queue_puts(session, user_id: str, described: list[tuple]) -> list[OrcidOutbox]:
    """Add one outbox row per ``(section, key, action, payload, hash, title)``; settle with
    the flush."""
    if not session.info.get(_LISTENING):
        event.listen(session, "before_flush", _settle)
        event.listen(session, "after_rollback", _forget)
        session.info[_LISTENING] = True
    now = utcnow()
    queued = session.info.setdefault(_QUEUED, [])
    rows = []
    for section, local_key, action, payload, content_hash, title in described:
        row = OrcidOutbox(user_id=user_id, section=section, local_key=local_key, action=action,
                          payload=payload, content_hash=content_hash, title=title[:500],
                          created_at=now, attempts=0, next_attempt_at=now, last_error=None)
        session.add(row)
        queued.append(row)
        rows.append(row)
    return rows


def _forget(session) -> None:
    session.info.pop(_QUEUED, None)


#: rows per multi-row INSERT of the flush: a 1,000-row statement was re-parsed each time, half
#: the cost of queuing. psycopg caches its placeholder conversion only for statements of at
#: most 4 kB and (since 3.2) 50 parameters: at 14 columns a row, a statement of 12 rows is
#: converted at each run too (about 1 ms), one of 3 rows would be cached, but measured with
#: 1, 5, 20 and 100 works a transaction, 3 rows a statement saved nothing beyond the noise
#: (its extra round trips); 12 keeps them few
INSERT_PAGE = 12


def _settle(session, flush_context, instances) -> None:
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        return
    # the host's session may bind each mapper to its own engine: ask for ours
    connection = session.connection(bind_arguments={"mapper": OrcidOutbox})
    if connection.dialect.name == "postgresql":
        connection.execution_options(insertmanyvalues_page_size=INSERT_PAGE)
    groups: dict[tuple[str, str], dict[str, OrcidOutbox]] = defaultdict(dict)
    for row in queued:
        if not inspect(row).pending:  # expunged by the host meanwhile
            continue
        group = groups[(row.user_id, row.section)]
        older = group.get(row.local_key)
        if older is not None:
            session.expunge(older)  # two puts of one object in one flush: the last wins
        group[row.local_key] = row
    with session.no_autoflush:
        for (user_id, section), latest in groups.items():
            keys = list(latest)
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start:start + CHUNK]
                _replace_pending(session, user_id, section, chunk)
                _register(session, user_id, section, chunk, latest)


def _replace_pending(session, user_id, section, keys) -> None:
    """Delete the unclaimed pending rows of ``keys`` saved earlier: the new rows replace
    them."""
    table = OrcidOutbox.__table__
    connection = session.connection(bind_arguments={"mapper": OrcidOutbox})
    if connection.dialect.name == "postgresql":
        gone = connection.execute(
            _pg_replace_pending(), lookup_params(user_id, [(section, key) for key in keys])
        ).scalars().all()
    else:
        gone = connection.execute(
            delete(table).where(table.c.user_id == user_id, table.c.section == section,
                                table.c.done_at.is_(None), table.c.locked_by.is_(None),
                                among(table.c.local_key, keys, connection.dialect.name))
            .returning(table.c.id)
        ).scalars().all()
    for row_id in gone:  # a loaded copy would be stale
        loaded = session.identity_map.get(session.identity_key(OrcidOutbox, row_id))
        if loaded is not None:
            session.expunge(loaded)


@functools.cache
def _pg_replace_pending():
    """PostgreSQL's statement of :func:`_replace_pending`, built once for every user and
    keys (built for each call it cost the host's ``put_many`` about 1 ms of CPU a call): the
    unclaimed pending rows found key by key (``rows.by_key``), then deleted through the
    primary key."""
    table = OrcidOutbox.__table__
    wanted, found = by_key(table, "", [], table.c.done_at.is_(None), table.c.locked_by.is_(None),
                           columns=(table.c.id,),
                           user=bindparam("lookup_user", type_=table.c.user_id.type))
    ids = select(found.c.id).select_from(wanted).join(found, true())
    return (delete(table).where(table.c.id == any_(func.array(ids.scalar_subquery())))
            .returning(table.c.id).execution_options(**{PLAN_FOR_THE_VALUES: True}))


def _linked_orcid(session, user_id: str) -> str | None:
    """The iD the user has linked, for their new registry rows: written now, the worker's
    updates of those rows change no indexed column (PostgreSQL keeps them on their page,
    models.sync.UPDATED_IN_PLACE). None before the user connects; the worker writes it
    then (sender.UserSender.run)."""
    return session.execute(
        select(OrcidLink.orcid).where(OrcidLink.user_id == user_id)
    ).scalar_one_or_none()


def _register(session, user_id, section, keys, latest) -> None:
    """Create or update the registry rows the panel shows (new ones in one multi-row
    ``INSERT``, not as ORM objects: the host's flush of two objects per ``put`` was most of
    its CPU)."""
    now = utcnow()
    connection = session.connection(bind_arguments={"mapper": OrcidItem})
    known = {item.local_key: item for item in session.execute(
        *items_by_key(user_id, [(section, key) for key in keys], connection.dialect.name)
    ).scalars()}
    new = []
    orcid = _linked_orcid(session, user_id) if len(known) < len(keys) else None
    for key in keys:
        row = latest[key]
        item = known.get(key)
        if item is None:
            new.append({"user_id": user_id, "section": section, "local_key": key,
                        "orcid": orcid, "status": STATUS_PENDING, "title": row.title,
                        "updated_at": now})
        elif item.content_hash != row.content_hash:
            item.title = row.title
            item.updated_at = now
            if item.status in (STATUS_SYNCED, STATUS_REJECTED):
                item.status = STATUS_PENDING
    if new:
        connection.execute(insert(OrcidItem.__table__), new)
