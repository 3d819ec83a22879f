"""A researcher's new works, sent without loading a row into the ORM (the first push).

When every due row of the user is a new work (a ``put`` of a work whose registry row has no
put code, no POST in flight, nothing deleted on ORCID, no other iD), sending it needs no
decision per row: the works go out in bulks of 100 and their put codes come back. The
sender then reads the rows and their registry rows as plain tuples in one query, reads their
content in one more (without claiming the rows: see :meth:`NewWorksMixin._push_new_works`),
and records the put codes in two (the registry rows, the outbox rows), where loading them as
ORM objects cost the worker most of its CPU per bulk. A researcher's bulks follow one
another without writing in between: the put codes of up to ``RECORD_EVERY`` bulks wait in
memory, and the fence before each bulk names the works of every bulk not written yet and
of the bulks still to come before the next write, so that a worker killed meanwhile leaves
them flagged for the next holder, which reconciles them with what ORCID holds instead of
posting them again (a work flagged but never sent costs that holder one read of the
section, never a duplicate). Within such a run of bulks the marker does not change, so the
fences after the first one need no round trip while the lease is young
(:meth:`~orcid_pyramid.sync.lease.Lease.fence`). A bulk whose answer is anything else
(an error, a 409, a put code that is not one) is recorded by the ORM path from there
(:meth:`PostingMixin._bulk_results`, the same code as for any other bulk), and any other due
row sends the user through that path from the start.

A mixin of :class:`~orcid_pyramid.sync.sender.UserSender`, split out to keep files small.
"""

from __future__ import annotations

import json

from sqlalchemy import Text, bindparam, cast, select, text, true
from sqlalchemy.orm import load_only

from ..client.calllog import held_records, release_records
from ..client.errors import OrcidMalformedResponse
from ..crypto import TokenDecryptError
from ..models.link import STATUS_ACTIVE
from ..models.meta import PLAN_FOR_THE_VALUES, utcnow
from ..models.sync import STATUS_DELETED_ON_ORCID, OrcidItem, OrcidOutbox
from .items import item_for
from .outcome import CommitFirst, Revoked
from .posting import BULK_MAX, answered_put_code, created_values
from .ratelimit import AHEAD
from .rows import (
    _READ,
    LOOKUP_CHUNK,
    among,
    by_key,
    finished_values,
    items_by_key,
    lookup_params,
    stored_work_body,
)
from .setall import set_rows

_OUT = OrcidOutbox.__table__
_ITEMS = OrcidItem.__table__
#: bulks of one researcher whose put codes wait in memory before they are written: between
#: two bulks only the fence (which names their works, so a crash leaves none unmarked) and
#: the token, not two updates of 100 rows (10-25 ms of a 2-core machine's time under load)
RECORD_EVERY = 5
#: what the first push reads of each registry row, the key first
_LOOKED_UP = (_ITEMS.c.local_key, _ITEMS.c.id, _ITEMS.c.put_code, _ITEMS.c.post_in_flight,
              _ITEMS.c.status, _ITEMS.c.orcid, _ITEMS.c.title)


def _pg_lookup():
    """PostgreSQL: the registry rows of ``lookup_user`` for the keys ``wanted_keys`` (with
    ``wanted_sections``), as :func:`~orcid_pyramid.sync.rows.by_key` looks them up, built
    once: made for each researcher, with its ORM alias and subquery, the statement cost the
    worker 1.4 ms of CPU per researcher of a first push (a quarter of its own)."""
    wanted, found = by_key(_ITEMS, "", [], columns=_LOOKED_UP,
                           user=bindparam("lookup_user", type_=_ITEMS.c.user_id.type))
    return (select(*(found.c[column.key] for column in _LOOKED_UP)).select_from(wanted)
            .join(found, true()).execution_options(**{PLAN_FOR_THE_VALUES: True}))


_PG_LOOKUP = _pg_lookup()
#: what the first push reads of each due outbox row
_DUE = (_OUT.c.id, _OUT.c.section, _OUT.c.local_key, _OUT.c.action, _OUT.c.content_hash,
        _OUT.c.title)


def _can_send(link) -> bool:
    """The link's columns (:data:`~orcid_pyramid.sync.sender._LINK_SEEN`) allow a first push."""
    return link is not None and link.status == STATUS_ACTIVE and bool(link.access_token_enc)


def _new_work_keys(found) -> set | None:
    """The keys of the due rows ``found`` (:data:`_DUE`) when every one is a ``put`` of a
    work, each key once; otherwise None."""
    keys = set()
    for _, section, key, action, _, _ in found:
        if action != "put" or section != "work" or key in keys:
            return None
        keys.add(key)
    return keys or None


def _plan(link, found, items: dict) -> list | None:
    """The first push's plan, ``(row id, item id, content hash)`` of each due row ``found``,
    when each one's registry row (``items``, by key: :data:`_LOOKED_UP` after the key) is a
    new work of this iD; otherwise None."""
    plan = []
    for row_id, _, key, _, content_hash, title in found:
        item_id, put_code, in_flight, status, orcid, item_title = items.get(
            key, (None,) * 6)
        if (item_id is None or put_code is not None or in_flight
                or status == STATUS_DELETED_ON_ORCID or orcid not in (None, link.orcid)
                or (title and title != item_title)):
            return None
        plan.append((row_id, item_id, content_hash))
    return plan or None


#: PostgreSQL: the registry rows of many researchers' works by key, each looked up through
#: the (user, section, key) index (as :func:`~orcid_pyramid.sync.rows.by_key` for one)
_PG_LOOKUP_MANY = text(
    "SELECT wanted.user_id, found.local_key, found.id, found.put_code, found.post_in_flight, "
    "found.status, found.orcid, found.title "
    "FROM unnest(CAST(:lookup_users AS VARCHAR[]), CAST(:lookup_keys AS VARCHAR[])) "
    "AS wanted(user_id, local_key) "
    "JOIN LATERAL (SELECT orcid_items.local_key, orcid_items.id, orcid_items.put_code, "
    "orcid_items.post_in_flight, orcid_items.status, orcid_items.orcid, orcid_items.title "
    "FROM orcid_items WHERE orcid_items.user_id = wanted.user_id "
    "AND orcid_items.section = 'work' AND orcid_items.local_key = wanted.local_key "
    "OFFSET 0) AS found ON true")


def read_new_works(connection, links: dict, users: list[str]) -> dict[str, tuple]:
    """PostgreSQL: ``{user: (plan, texts)}`` for each of ``users`` whose due rows are all new
    works and whose link (``links``: :data:`~orcid_pyramid.sync.sender._LINK_SEEN`'s
    columns, by user) can send: what :meth:`NewWorksMixin._new_works` and
    :meth:`NewWorksMixin._push_new_works` read for one researcher, read for them all in
    three statements (the first researchers of a ``sync`` run, whose leases the caller
    holds: :meth:`~orcid_pyramid.sync.lease.Claimer.claim_many`)."""
    sendable = [user for user in users if _can_send(links.get(user))]
    if not sendable:
        return {}
    found: dict[str, list] = {user: [] for user in sendable}
    for user_id, *row in connection.execute(
            select(_OUT.c.user_id, *_DUE)
            .where(among(_OUT.c.user_id, sendable, "postgresql"), _OUT.c.done_at.is_(None),
                   _OUT.c.next_attempt_at <= utcnow())
            .order_by(_OUT.c.id)):
        found[user_id].append(row)
    keys = {user: _new_work_keys(rows) for user, rows in found.items()}
    wanted = [(user, key) for user, some in keys.items() if some for key in sorted(some)]
    items: dict[str, dict] = {user: {} for user in keys}
    if wanted:
        for user_id, key, *rest in connection.execute(
                _PG_LOOKUP_MANY, {"lookup_users": [user for user, _ in wanted],
                                  "lookup_keys": [key for _, key in wanted]}):
            items[user_id][key] = tuple(rest)
    plans = {user: _plan(links[user], found[user], items[user])
             for user, some in keys.items() if some}
    plans = {user: plan for user, plan in plans.items() if plan}
    if not plans:
        return {}
    texts = _texts(connection, [entry for plan in plans.values() for entry in plan])
    return {user: ([entry for entry in plan if entry[0] in texts],
                   {entry[0]: texts[entry[0]] for entry in plan if entry[0] in texts})
            for user, plan in plans.items()}


class NewWorksMixin:
    """The first push's path (needs ``session``, ``user_id``, ``worker_id``, ``lease``,
    ``lease_guard``, ``cipher``, ``api_for``, ``counts``, ``_post_bulk`` and
    ``_bulk_results``)."""

    def _new_works(self, link) -> list | None:
        """The due rows as ``(row id, item id, content hash)`` when every one is a new work
        and the link can send; otherwise None (the ORM path decides, holds or logs)."""
        if self.lease_guard is None or not _can_send(link):
            return None
        connection = self.session.connection()
        # two statements, not one join: without the planner's statistics (a first push right
        # after the host queued thousands of works, before any ANALYZE) the join was planned
        # as a nested loop over every registry row of the user, 29 ms for 500 works alone
        # and 75-163 ms with ten researchers at once, before their first bulk could leave
        found = connection.execute(
            select(*_DUE).where(_OUT.c.user_id == self.user_id, _OUT.c.done_at.is_(None),
                                _OUT.c.next_attempt_at <= utcnow())
            .order_by(_OUT.c.id)
        ).all()
        keys = _new_work_keys(found)
        if not keys:
            return None
        items = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), LOOKUP_CHUNK):
            chunk = ordered[start:start + LOOKUP_CHUNK]
            if connection.dialect.name == "postgresql":
                looked_up = connection.execute(
                    _PG_LOOKUP, lookup_params(self.user_id, [("work", key) for key in chunk]))
            else:
                found_items = items_by_key(self.user_id, [("work", key) for key in chunk],
                                           connection.dialect.name)[0].subquery()
                looked_up = connection.execute(select(
                    *(found_items.c[column.key] for column in _LOOKED_UP)))
            items.update((key, rest) for key, *rest in looked_up)
        return _plan(link, found, items)

    def _push_new_works(self, link, plan, texts: dict | None = None) -> bool:
        """Send the new works of ``plan`` in bulks of 100 (False: the token cannot be read,
        nothing was done). Raises ``LeaseLost`` and ``Revoked`` like the ORM path.
        ``texts``: the content of the plan's rows, already read (:func:`read_new_works`;
        ``plan`` then holds only rows not finished when they were read)."""
        try:
            token = self.cipher.decrypt(link.access_token_enc)
        except TokenDecryptError:
            return False  # the ORM path holds the rows and says why
        api = CommitFirst(self.api_for(link, token), self.session,
                          fence=self.lease_guard.fence, no_answer=self.lease_guard.no_answer)
        if texts is None:
            texts = _texts(self.session.connection(), plan)
            plan = [entry for entry in plan if entry[0] in texts]
        # the bulks' call records wait for their put codes (held_records says why)
        with held_records():
            self._send_new_works(api, link, plan, texts)
        return True

    def _send_new_works(self, api, link, plan, texts: dict) -> None:
        """The bulks of :meth:`_push_new_works`, their put codes written every
        ``RECORD_EVERY`` bulks and at the end."""
        waiting: list = []  # (batch, put codes) of bulks ORCID answered, not written yet
        try:
            for start in range(0, len(plan), BULK_MAX):
                batch = plan[start:start + BULK_MAX]
                if len(waiting) >= RECORD_EVERY:
                    self._record_new(waiting, link)
                # the fence names the works of every bulk not written yet, this one and the
                # ones up to the next write: the same marker for each bulk of that run, so
                # the fence before the run's later bulks has nothing new to make durable
                # and asks the database nothing while the lease is young (Lease.fence)
                ahead = start + BULK_MAX * (RECORD_EVERY - len(waiting))
                marker = [item_id for done, _ in waiting for _, item_id, _ in done]
                # the bulks that follow this one's answer: the next one's token is taken
                # meanwhile
                AHEAD.next = len(range(start + BULK_MAX, len(plan), BULK_MAX))
                outcome = self._post_bulk(
                    api, marker + [item_id for _, item_id, _ in plan[start:ahead]],
                    [_body(texts[row_id]) for row_id, _, _ in batch])
                codes = _put_codes(outcome, len(batch))
                if codes is None:
                    self._record_new(waiting, link)
                    self._bulk_results(api, self._loaded(batch, texts, link), outcome)
                    continue
                waiting.append((batch, codes))
        except Revoked:
            self._record_new(waiting, link)  # what ORCID took before it refused the token
            raise
        finally:
            AHEAD.next = 0
        self._record_new(waiting, link)

    def _record_new(self, waiting: list, link) -> None:
        """Write the put codes of the bulks in ``waiting`` (two statements), and empty it;
        they commit with the next fence or the giving back, as do the call records held
        meanwhile (released here)."""
        release_records()
        if not waiting:
            return
        now = utcnow()
        batch = [entry for done, _ in waiting for entry in done]
        codes = [code for _, done in waiting for code in done]
        waiting.clear()
        ids = [item_id for _, item_id, _ in batch]
        connection = self.session.connection()  # the fence committed: a new transaction
        set_rows(connection, _ITEMS, ids, {
            **created_values(now, dict(zip(ids, codes, strict=True)),
                             {item_id: h for _, item_id, h in batch}),
            "orcid": link.orcid})
        set_rows(connection, _OUT, [row_id for row_id, _, _ in batch], finished_values(now))
        self.counts.posted += len(batch)

    def _loaded(self, batch, texts, link) -> list:
        """``batch`` as ORM (row, item) pairs, for the ORM path's handling of its answer."""
        rows = {row.id: row for row in self.session.execute(
            select(OrcidOutbox).where(OrcidOutbox.id.in_([r for r, _, _ in batch]))
            .options(load_only(*_READ))).scalars()}
        items = {item.id: item for item in self.session.execute(
            select(OrcidItem).where(OrcidItem.id.in_([i for _, i, _ in batch]))).scalars()}
        pairs = []
        for row_id, item_id, _ in batch:
            row, item = rows[row_id], items[item_id]
            row.orcid_payload_text = texts[row_id]
            if item.orcid is None:
                item.orcid = link.orcid
            pairs.append((row, item))
        return pairs


def first_marker(plan) -> str:
    """The bulk POST marker the fence before a first push's first bulk writes (the works of
    its first ``RECORD_EVERY`` bulks), as :meth:`NewWorksMixin._push_new_works` names them."""
    return ",".join(str(item_id) for _, item_id, _ in plan[:BULK_MAX * RECORD_EVERY])


def _texts(connection, plan) -> dict:
    """The stored content of the plan's rows still unfinished, by row id."""
    # read, not claimed: a host's put of one of these works meanwhile deletes its row
    # and adds a new one (a row nobody claimed is replaced), so finishing the sent row
    # (``_record_new``) matches nothing and the new row stays due (a PUT of the new content, or
    # nothing if it is the same). Claiming cost an UPDATE of 100 rows a bulk, each a
    # copy of the row with its content, for the same outcome. Rows finished meanwhile
    # are left out here, not in the statement: with "done_at IS NULL" in it, PostgreSQL
    # without statistics (a first push right after the host queued) read the rows
    # through the index of every unfinished row, the whole outbox for each researcher
    return {row_id: text for row_id, done_at, text in connection.execute(
        select(_OUT.c.id, _OUT.c.done_at, cast(_OUT.c.payload, Text))
        .where(among(_OUT.c.id, [row_id for row_id, _, _ in plan], connection.dialect.name))
    ) if done_at is None}


def _body(text: str | None):
    """A new work's body for the bulk POST, from its stored JSON text."""
    body = stored_work_body(text) if text is not None else None
    if body is not None:
        return body
    return item_for("work", None if text is None else json.loads(text))


def _put_codes(outcome, size: int) -> list[int] | None:
    """The bulk's put codes when every work was created, else None."""
    if not isinstance(outcome, list | tuple) or len(outcome) != size:
        return None
    try:
        return [answered_put_code(value) for value in outcome]
    except OrcidMalformedResponse:
        return None
