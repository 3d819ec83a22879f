"""ORCID calls the web side leaves to the sync worker, and the worker's share of them.

Why: a web thread must not wait on ORCID for work nobody is waiting for. A webhook delivery
only queues a pull (``orcid_tasks``, one row per record: deliveries that arrive before the
worker gets to it add nothing, and the row comes due ``orcid.webhook_debounce`` seconds after
the first); a webhook removal that failed at disconnect time is queued the same way. The
worker calls :func:`run_chores` once per loop (one thread of a process a second does them):
queued revocations
(:func:`~orcid_pyramid.services.revocations.retry_pending_revocations`), then due tasks, and
once an hour the pruning of outbox rows finished more than ``orcid.outbox_retention_days``
ago (:func:`prune_finished`).
"""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..client.errors import OrcidError, OrcidNotFound
from ..crypto import TokenDecryptError
from ..models.link import STATUS_ACTIVE, OrcidLink
from ..models.meta import utcnow
from ..models.sync import OrcidOutbox, OrcidPullCursor
from ..models.tasks import TASK_PULL, TASK_UNHOOK, OrcidTask
from .statistics import EVERY_SECONDS as STATISTICS_EVERY
from .statistics import refresh_statistics

log = logging.getLogger("orcid_pyramid.sync")

#: how long a worker holds a task it is working on (another worker takes it after that)
CLAIM = timedelta(minutes=5)
#: at most one round of chores a second per worker session, however busy the outbox is
EVERY_SECONDS = 1.0


class _ReadFailed(Exception):
    """The queued read did not reach the record (ORCID down): keep the task, try later."""

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


def queue_task(db, kind: str, orcid: str, *, delay: float = 0.0, url: str | None = None) -> bool:
    """Queue ``kind`` for ``orcid`` unless one is already waiting; True when this queued it.

    An ``INSERT … ON CONFLICT DO NOTHING``: concurrent deliveries for one record never fail
    on the unique key, and the first one's due time stands (the debounce).
    """
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    delay = delay if math.isfinite(delay) and delay > 0 else 0.0
    now = utcnow()
    values = {"kind": kind, "orcid": orcid, "url": url, "due_at": now + timedelta(seconds=delay),
              "created_at": now, "attempts": 0}
    result = db.execute(insert(OrcidTask).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def on_disconnected(event) -> None:
    """``OrcidDisconnected``: remove the record's webhook at ORCID (when webhooks are on).

    Tried at once unless ORCID just failed the revocation (then it is down: queued without
    waiting for a second timeout); a failure queues it for the worker.
    """
    from . import sync_settings
    from .webhook import callback_url

    request = event.request
    settings = sync_settings(request.registry)
    if "webhooks" not in settings.features or not settings.webhook_secret or not event.orcid:
        return
    url = callback_url(request, event.orcid)
    if event.revoked is False:
        queue_task(request.orcid_db, TASK_UNHOOK, event.orcid, url=url)
        return
    try:
        request.orcid_client.unregister_webhook(event.orcid, url,
                                                log_context={"user_id": event.user_id})
    except OrcidNotFound:
        pass  # never registered, or already gone: the wish is met
    except OrcidError as exc:
        log.warning("webhook removal for %s failed (%s); queued", event.orcid, exc.summary())
        queue_task(request.orcid_db, TASK_UNHOOK, event.orcid, url=url)


def run_chores(worker, session, client) -> None:
    """One loop's share of the worker: queued revocations, then due pulls and removals.

    Never raises for ORCID or the database: the outbox must keep draining whatever happens
    here; failures are logged and retried on a later loop.
    """
    from ..services.revocations import retry_pending_revocations

    last = session.info.get("orcid_chores_at")
    if last is not None and time.monotonic() - last < EVERY_SECONDS:
        return
    # once a second for the process's threads (they share the candidate pool); a thread
    # whose queued read waits for a writer retries it on its own clock
    pool = getattr(getattr(worker, "claimer", None), "pool", None)
    if (pool is not None and not session.info.get(READS_WAITING)
            and not pool.turn("chores", EVERY_SECONDS)):
        return
    session.info["orcid_chores_at"] = time.monotonic()
    try:
        revoked, pending = retry_pending_revocations(session, client, worker.cipher)
        session.commit()
        if revoked or pending:
            log.info("queued revocations: %d confirmed by ORCID, %d still pending",
                     revoked, pending)
        registry = getattr(worker, "registry", None)
        notify = registry.notify if registry is not None else None
        run_due_tasks(session, client, worker.cipher, worker.claimer.claim_user, notify=notify)
        days = getattr(worker.settings, "outbox_retention_days", 0)
        if days > 0 and (pool is None or pool.turn("prune", PRUNE_EVERY)):
            prune_finished(session, days)
        _statistics(worker, session, pool)
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("deferred ORCID work failed on the database (%s); retried next loop",
                    type(exc).__name__)


def _statistics(worker, session, pool) -> None:
    """Every ``statistics.EVERY_SECONDS`` (once for the process's threads): analyse the
    sync tables if a large import made their statistics stale (:mod:`.statistics`)."""
    engine = getattr(worker, "engine", None)
    if engine is None or engine.dialect.name != "postgresql":
        return
    if pool is not None:
        if not pool.turn("statistics", STATISTICS_EVERY):
            return
    else:
        last = session.info.get("orcid_statistics_at")
        if last is not None and time.monotonic() - last < STATISTICS_EVERY:
            return
        session.info["orcid_statistics_at"] = time.monotonic()
    refresh_statistics(engine)


#: seconds between two prunings of finished outbox rows by one process
PRUNE_EVERY = 3600.0
#: rows one statement of the pruning deletes (a long backlog goes in short transactions)
PRUNE_CHUNK = 5000


def prune_finished(session, days: int, now=None) -> int:
    """Delete outbox rows finished more than ``days`` days ago (``orcid.outbox_retention_days``:
    the table would otherwise keep a row for every change ever sent); returns how many.
    Pending and held rows are never touched. Commits after each chunk."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    table = OrcidOutbox.__table__
    deleted = 0
    while True:
        chunk = select(table.c.id).where(table.c.done_at.is_not(None),
                                         table.c.done_at < cutoff).limit(PRUNE_CHUNK)
        gone = session.execute(delete(table).where(table.c.id.in_(chunk.scalar_subquery()))
                               ).rowcount
        session.commit()
        deleted += gone
        if gone < PRUNE_CHUNK:
            return deleted


#: how long a queued read waits when its researcher's writer is busy (seconds)
BUSY_RETRY = 1.0


#: ``session.info`` key: the ids of the queued reads this thread put off for their
#: researcher's writer; ``run_once`` is not done until they have been made
READS_WAITING = "orcid_reads_waiting"
#: a put-off read due later than this is not waited for: another worker has taken it (and
#: waits for it itself, :data:`CLAIM`) or ORCID failed it and it waits minutes for its retry
WAITED_FOR = timedelta(minutes=1)


def reads_waiting(session) -> float | None:
    """Seconds until this thread's chores can make the soonest read it put off for a writer
    (None: none left to wait for). Forgets those done meanwhile, by this thread or another.

    Its own record of them, not a flag the next round of chores clears: a thread woken before
    the retry was due (a writer that finished wakes the idle threads) found nothing due,
    cleared the flag and returned with the record never read.
    """
    ids = session.info.get(READS_WAITING)
    if not ids:
        return None
    now = utcnow()
    left = session.execute(select(OrcidTask.id, OrcidTask.due_at)
                           .where(OrcidTask.id.in_(sorted(ids)))).all()
    session.commit()
    waited = {}
    for task_id, due in left:
        if due.tzinfo is None:  # SQLite may hand it back as a naive UTC datetime
            due = due.replace(tzinfo=now.tzinfo)
        if due - now <= WAITED_FOR:
            waited[task_id] = due
    ids.intersection_update(waited)
    if not waited:
        return None
    soonest = min(waited.values())
    last = session.info.get("orcid_chores_at")
    chores_again = 0.0 if last is None else last + EVERY_SECONDS - time.monotonic()
    return max((soonest - now).total_seconds(), chores_again, 0.0)


class _Busy(Exception):
    """Another worker is writing to this record: read it once that writer is done."""


def run_due_tasks(session, client, cipher, claim_user, *, notify=None, limit: int = 50) -> int:
    """Do the due tasks, each claimed first and committed after its call; returns how many
    were done.

    ``claim_user(session, user_id)``: the researcher's lease (see
    :meth:`~orcid_pyramid.sync.lease.Claimer.claim_user`), or None while a writer holds it; a
    read then waits :data:`BUSY_RETRY` seconds (it is not a failure): ORCID calls the webhook
    after the site's own writes too, and a read in the middle of a push would overlap the
    writer's requests and take works whose put codes came after it for deleted on ORCID.
    """
    now = utcnow()
    due = session.execute(
        select(OrcidTask.id).where(OrcidTask.due_at <= now).order_by(OrcidTask.due_at)
        .limit(limit)).scalars().all()
    done = 0
    for task_id in due:
        taken = session.execute(
            update(OrcidTask).where(OrcidTask.id == task_id, OrcidTask.due_at <= now)
            .values(due_at=now + CLAIM).execution_options(synchronize_session=False)).rowcount
        session.commit()
        if taken != 1:
            _waited(session, task_id)
            continue  # another worker has it
        task = session.get(OrcidTask, task_id, populate_existing=True)
        try:
            if task.kind == TASK_PULL:
                _pull(session, client, cipher, task.orcid, notify, claim_user)
            elif task.kind == TASK_UNHOOK:
                _unhook(client, task)
        except _Busy:
            session.rollback()
            task = session.get(OrcidTask, task_id)
            task.due_at = utcnow() + timedelta(seconds=BUSY_RETRY)
            session.commit()
            session.info.setdefault(READS_WAITING, set()).add(task_id)
            continue
        except (OrcidError, _ReadFailed) as exc:
            _waited(session, task_id)
            if isinstance(exc, _ReadFailed) or exc.retryable:
                session.rollback()
                task = session.get(OrcidTask, task_id)
                task.attempts += 1
                task.last_error = exc.summary if isinstance(exc, _ReadFailed) else exc.summary()
                task.due_at = utcnow() + timedelta(seconds=min(60 * 2 ** task.attempts, 86400))
                session.commit()
                continue
            log.warning("ORCID refused the %s task for %s (%s); dropped", task.kind,
                        task.orcid, exc.summary())
        session.execute(delete(OrcidTask).where(OrcidTask.id == task_id))
        session.commit()
        _waited(session, task_id)
        done += 1
    return done


def _waited(session, task_id) -> None:
    """This thread no longer waits for ``task_id`` (made, failed, or another worker's)."""
    ids = session.info.get(READS_WAITING)
    if ids:
        ids.discard(task_id)


def _pull(session, client, cipher, orcid: str, notify, claim_user) -> None:
    """Read what changed on the record (the webhook's promise), as the view once did, holding
    the researcher's lease (raises :class:`_Busy` while a writer holds it)."""
    from .pull import pull_leased

    link = session.execute(select(OrcidLink).where(OrcidLink.orcid == orcid)
                           ).scalar_one_or_none()
    if link is None or link.status != STATUS_ACTIVE or not link.access_token_enc:
        return  # disconnected or revoked meanwhile: nothing to read
    cursor = session.get(OrcidPullCursor, orcid)
    before = cursor.last_read_at if cursor is not None else None
    try:
        result = pull_leased(session, client, cipher, link, claim_user, notify=notify)
    except TokenDecryptError as exc:
        log.error("webhook pull for %s: %s", orcid, exc)
        return
    if result is None:
        raise _Busy(link.user_id)
    if result.errors:
        log.warning("webhook pull for %s: %s", orcid, "; ".join(result.errors))
        cursor = session.get(OrcidPullCursor, orcid)
        unread = cursor is None or cursor.last_read_at == before
        if unread and link.status == STATUS_ACTIVE:  # not revoked: ORCID did not answer
            raise _ReadFailed(result.errors[0])


def _unhook(client, task) -> None:
    try:
        client.unregister_webhook(task.orcid, task.url or "", log_context={"orcid": task.orcid})
    except OrcidNotFound:
        pass  # already gone
