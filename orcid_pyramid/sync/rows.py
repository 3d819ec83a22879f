"""The sender's bookkeeping of outbox and registry rows: claiming a user's due rows (newest
wish wins), loading only the content that may be sent, closing rows one by one or in bulk,
holding them for a revoked link, scheduling retries.

A mixin of :class:`~orcid_pyramid.sync.sender.UserSender`, split out to keep files small.
"""

from __future__ import annotations

import functools
import json
from datetime import timedelta

from sqlalchemy import Text, any_, bindparam, cast, func, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, load_only
from sqlalchemy.orm.attributes import set_committed_value

from ..client.api import JsonText
from ..client.errors import OrcidError
from ..models.meta import PLAN_FOR_THE_VALUES, utcnow
from ..models.sync import (
    STATUS_PENDING,
    STATUS_RETRYING,
    STATUS_REVOKED,
    STATUS_SYNCED,
    OrcidItem,
    OrcidOutbox,
)
from .items import item_for
from .setall import set_all

#: the outbox columns the sender reads (the rest are written, or read only on rare paths)
_READ = (OrcidOutbox.id, OrcidOutbox.user_id, OrcidOutbox.section, OrcidOutbox.local_key,
         OrcidOutbox.action, OrcidOutbox.content_hash, OrcidOutbox.title,
         OrcidOutbox.attempts)


def among(column, values: list, dialect_name: str):
    """``column IN values``; on PostgreSQL ``column = ANY(:array)``: one parameter, so the
    statement's text is the same for 5 values or 500 (SQLAlchemy and psycopg cache it; an
    ``IN`` of 500 parameters was rendered and parsed again each time, some 5 ms of CPU a
    query)."""
    if dialect_name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(f"{column.key}_values", values, type_=ARRAY(column.type)))


#: keys looked up per statement (SQLite takes one parameter per key, and bounds them)
LOOKUP_CHUNK = 500


def by_key(table, user_id: str, pairs, *where, columns=None, user=None):
    """PostgreSQL: ``(wanted, found)``, to select from ``wanted`` joined to ``found`` (``ON
    true``): ``found`` is a ``LATERAL`` subquery of the rows of ``table`` (outbox or registry)
    of the user with one of these ``(section, local_key)`` pairs and ``where``, looked up
    through the (user, section, key) index once per pair of ``wanted`` (``unnest(sections,
    keys)``; ``OFFSET 0`` keeps the subquery one).

    Written as ``local_key = ANY(:keys)``, the keys became a filter after the index's leading
    columns once psycopg prepared the statement (its fifth run) and PostgreSQL chose a generic
    plan, estimating one row for the user: each of the user's rows was compared with every
    key. Registry: 75 ms per 500 keys of a researcher with 10,000 works (a ``put_many`` of
    them spent 1.6 s of the database's CPU there), now 1.2 ms. Outbox, pending rows: 44 ms per
    500 keys at 15,000 rows of the user's history, now 2.9 ms.

    ``columns``: only these of ``table`` (default: all); ``user``: a bind parameter in place
    of ``user_id`` (a statement built once, for any user and keys given at execution).

    A statement built on it carries the execution option ``PLAN_FOR_THE_VALUES``
    (:func:`orcid_pyramid.models.plan_for_the_values`): prepared, it kept a generic plan
    chosen on a new install's nearly empty tables, a scan of the table for each key."""
    pairs = list(pairs)
    wanted = func.unnest(
        bindparam("wanted_sections", [s for s, _ in pairs], type_=ARRAY(table.c.section.type)),
        bindparam("wanted_keys", [k for _, k in pairs], type_=ARRAY(table.c.local_key.type)),
    ).table_valued("section", "local_key").render_derived(name="wanted")
    found = (select(*(columns or (table,)))
             .where(table.c.user_id == (user_id if user is None else user), *where,
                    table.c.section == wanted.c.section, table.c.local_key == wanted.c.local_key)
             .offset(0).lateral("found"))
    return wanted, found


def items_by_key(user_id: str, pairs, dialect_name: str) -> tuple:
    """``select(OrcidItem)`` of the user's registry rows with these ``(section, local_key)``
    pairs (at most :data:`LOOKUP_CHUNK` of them), and its parameters: run it as
    ``session.execute(*items_by_key(...))``. PostgreSQL: through :func:`by_key`, one
    statement built once for every user and keys (built for each call, with its ORM alias
    of the lateral subquery, it cost the host's ``put_many`` about 1 ms of CPU a call)."""
    pairs = list(pairs)
    if dialect_name != "postgresql":
        return select(OrcidItem).where(
            OrcidItem.user_id == user_id,
            OrcidItem.section.in_(sorted({section for section, _ in pairs})),
            OrcidItem.local_key.in_(sorted({key for _, key in pairs}))), {}
    return _pg_items_by_key(), lookup_params(user_id, pairs)


def lookup_params(user_id: str, pairs) -> dict:
    """The parameters of a statement built once on :func:`by_key` with ``user`` a bind
    parameter named ``lookup_user``."""
    return {"lookup_user": user_id, "wanted_sections": [section for section, _ in pairs],
            "wanted_keys": [key for _, key in pairs]}


@functools.cache
def _pg_items_by_key():
    """PostgreSQL's statement of :func:`items_by_key` (built on first use: the ORM alias
    needs the mappers configured)."""
    table = OrcidItem.__table__
    wanted, found = by_key(table, "", [],
                           user=bindparam("lookup_user", type_=table.c.user_id.type))
    return (select(aliased(OrcidItem, found)).select_from(wanted).join(found, true())
            .execution_options(**{PLAN_FOR_THE_VALUES: True}))


def finished_values(now) -> dict:
    """What an outbox row takes when its wish is met (sent, or already on ORCID)."""
    return {"done_at": now, "locked_by": None, "last_error": None}


def stored_work_body(text: str) -> JsonText | None:
    """A new work's stored JSON text as it stands, when that is what :func:`item_for` would
    send (an object without a put code); None when it must be decoded and built."""
    if '"put-code"' not in text and text.lstrip().startswith("{"):
        return JsonText(text)
    return None


class RowsMixin:
    """Row bookkeeping (needs ``session``, ``user_id``, ``worker_id``, ``lease``, ``counts``,
    ``backoff_base``, ``backoff_cap``, ``rng`` and ``_unchanged``)."""

    # -- rows ----------------------------------------------------------------------------
    def _due_rows(self) -> list[OrcidOutbox]:
        """Claim the user's due rows (so the host's next change makes a new row), newest wins."""
        now = utcnow()
        outbox = OrcidOutbox.__table__  # a plain UPDATE (the ORM's bulk path costs CPU)
        self.session.execute(
            update(outbox)
            .where(outbox.c.user_id == self.user_id, outbox.c.done_at.is_(None),
                   outbox.c.next_attempt_at <= now)
            .values(locked_by=self.worker_id, locked_until=now + timedelta(seconds=self.lease))
        )
        rows = self.session.execute(
            select(OrcidOutbox).where(OrcidOutbox.user_id == self.user_id,
                                      OrcidOutbox.done_at.is_(None),
                                      OrcidOutbox.locked_by == self.worker_id)
            .order_by(OrcidOutbox.id)
            # the columns the sender reads; payload is loaded only for rows that send
            # (_payloads), the times and locks it only writes (a read would load them)
            .options(load_only(*_READ))
        ).scalars().all()
        latest: dict[tuple[str, str], OrcidOutbox] = {}
        for row in rows:
            older = latest.get((row.section, row.local_key))
            if older is not None:  # coalesce: the newest wish wins
                older.done_at = now
                older.locked_by = None
                older.last_error = "superseded by a newer change"
            latest[(row.section, row.local_key)] = row
        # committed with the first request's fence (or at the end): until then the rows'
        # locks make a host's concurrent put wait, then add a new row, as it should
        return list(latest.values())

    def _payloads(self, rows, items) -> None:
        """Load the content of the rows that may send it, 500 a query, as JSON text: it is
        decoded on first use (:meth:`_payload`), and a new work goes into its bulk POST as
        that text (:meth:`_work_body`), never decoded. An unchanged row's content is never
        read (a re-sync of thousands of unchanged items reads none)."""
        wanted = [row for row in rows if not self._is_unchanged(row, items.get(
            (row.section, row.local_key)))]
        for start in range(0, len(wanted), 500):
            chunk = {row.id: row for row in wanted[start:start + 500]}
            for row_id, text in self.session.execute(
                    select(OrcidOutbox.id, cast(OrcidOutbox.payload, Text))
                    .where(self._among(OrcidOutbox.id, list(chunk)))):
                chunk[row_id].orcid_payload_text = text

    @staticmethod
    def _payload(row):
        """The row's content (a dict), from the text :meth:`_payloads` loaded."""
        if "payload" not in row.__dict__ and hasattr(row, "orcid_payload_text"):
            text = row.orcid_payload_text
            set_committed_value(row, "payload", None if text is None else json.loads(text))
        return row.payload

    def _work_body(self, row):
        """A new work's body for the bulk POST (see :func:`stored_work_body`)."""
        text = getattr(row, "orcid_payload_text", None)
        body = stored_work_body(text) if text is not None else None
        return body if body is not None else item_for(row.section, self._payload(row))

    @staticmethod
    def _is_unchanged(row, item) -> bool:
        return (row.action == "put" and item is not None and item.put_code is not None
                and item.content_hash == row.content_hash and item.status == STATUS_SYNCED)

    def _items(self, rows) -> dict[tuple[str, str], OrcidItem]:
        pairs = sorted({(row.section, row.local_key) for row in rows})
        dialect = self.session.get_bind().dialect.name
        found = {}
        for start in range(0, len(pairs), LOOKUP_CHUNK):
            chunk = pairs[start:start + LOOKUP_CHUNK]
            wanted = set(chunk)  # SQLite's lookup may also match other pairs of these keys
            found.update(((item.section, item.local_key), item) for item in self.session.execute(
                *items_by_key(self.user_id, chunk, dialect)).scalars()
                if (item.section, item.local_key) in wanted)
        return found

    def _among(self, column, values: list):
        return among(column, values, self.session.get_bind().dialect.name)

    def _hold(self, rows, items, *, revoked: bool) -> None:
        """No usable link: keep the rows until the user connects again."""
        for row in rows:
            row.next_attempt_at = None
            row.locked_by = None
            item = items.get((row.section, row.local_key))
            if item is not None:
                item.status = STATUS_REVOKED if revoked else STATUS_PENDING
                item.updated_at = utcnow()
            self.counts.held += 1
        self.session.commit()

    def _finish(self, row, item=None, *, status=STATUS_SYNCED, error=None,
                commit: bool = True) -> None:
        now = utcnow()
        row.done_at = now
        row.locked_by = None
        row.last_error = error
        if item is not None:
            item.status = status
            item.last_error = error
            item.last_attempt_at = now
            item.updated_at = now
        if commit:
            self.session.commit()

    def retry_delay(self, attempt: int) -> float:
        """Seconds before attempt ``attempt + 1``: exponential, capped, with jitter (workers
        must not retry in lock step)."""
        delay = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return delay * (0.5 + self.rng.random() / 2)

    def _finish_unchanged(self) -> None:
        """Close the unchanged rows in two statements (committed with the next call)."""
        done, self._unchanged = self._unchanged, []
        now = utcnow()
        set_all([row for row, _ in done], OrcidOutbox, **finished_values(now))
        set_all([item for _, item in done], OrcidItem, status=STATUS_SYNCED, last_error=None,
                last_attempt_at=now, updated_at=now)

    def _retry_later(self, row, item, exc: OrcidError, delay: float | None = None,
                     commit: bool = True, since=None) -> None:
        """``delay`` and ``since`` (the moment it counts from): shared by the rows of one
        bulk, so that they fall due at the same instant and come back together (with a
        ``utcnow()`` each, the rows of a bulk fell due microseconds apart, and a worker that
        woke in between took some of them: two reads and two POSTs instead of one each)."""
        now = since or utcnow()
        row.attempts += 1
        if delay is None:
            delay = self.retry_delay(row.attempts)
        if exc.retry_after:
            delay = max(delay, float(exc.retry_after))
        row.next_attempt_at = now + timedelta(seconds=delay)
        row.locked_by = None
        row.last_error = exc.summary()
        if item is not None:
            item.status = STATUS_RETRYING
            item.last_error = exc.summary()
            item.last_attempt_at = now
            item.updated_at = now
        self.counts.retried += 1
        if commit:
            self.session.commit()

    def _forget_put_code(self, item) -> None:
        item.put_code = None
        item.content_hash = None
        item.post_in_flight = False
