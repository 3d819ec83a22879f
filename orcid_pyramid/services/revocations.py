"""Revoking tokens at ORCID until ORCID confirms (BP-3), and grants that were never stored.

Two promises rest on ``orcid_pending_revocations``:

* a disconnect during an ORCID outage queues the tokens; the sync worker retries them
  (:func:`retry_pending_revocations`, called every loop) until ORCID answers;
* a token ORCID granted but the callback did not store (id_token refused, database error,
  two tabs racing) must not stay valid at ORCID. Right after the code exchange a *guard*
  row is committed on its own, due only after :data:`GRANT_GRACE`; the transaction that
  stores the link deletes it, so it commits exactly when the link does. A callback that
  fails revokes at once (:meth:`GrantGuard.abandon`); one whose commit fails leaves the
  guard for the worker.

A row names its iD: a token that a link of that iD holds again (ORCID may hand back the same
token on a new authorization) is dropped, never revoked.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..client.errors import OrcidError
from ..crypto import TokenDecryptError

log = logging.getLogger(__name__)

#: how long a callback may take between the code exchange and its commit
GRANT_GRACE = timedelta(minutes=10)
#: how long a worker holds a queued revocation it is working on
CLAIM = timedelta(minutes=5)


def revoke_or_queue(request, tokens, user_id: str, orcid: str | None) -> bool:
    """Revoke each token now; queue (encrypted) any ORCID did not confirm. True: all done."""
    from ..models import OrcidPendingRevocation

    all_done = True
    for value in tokens:
        try:
            # the call log names the user and the iD (a revoke's answer names neither)
            request.orcid_client.revoke(value, log_context={"user_id": user_id, "orcid": orcid})
        except OrcidError as exc:
            all_done = False
            log.warning("ORCID revoke failed (%s); queued for retry", exc.summary())
            request.orcid_db.add(OrcidPendingRevocation(
                token_enc=request.orcid_cipher.encrypt(value), orcid=orcid,
                user_id=user_id, last_error=exc.summary()))
    return all_done


def readable_tokens(cipher, *values) -> tuple[list[str], int]:
    """The decrypted tokens among ``values`` and how many could not be decrypted (a key
    dropped before rekey): such a token cannot be revoked, but must never block the user."""
    tokens, unreadable = [], 0
    for value in values:
        if not value:
            continue
        try:
            tokens.append(cipher.decrypt(value))
        except TokenDecryptError:
            unreadable += 1
    return tokens, unreadable


def _user_of(request) -> str | None:
    """The signed-in user's id as the add-on stores it, or None."""
    user_id = request.authenticated_userid
    return None if user_id is None else str(user_id)


class GrantGuard:
    """The guard row of one fresh grant (see the module docstring)."""

    def __init__(self, request, token) -> None:
        from ..models import OrcidPendingRevocation

        self.token = token
        cipher = request.orcid_cipher
        row = OrcidPendingRevocation(
            token_enc=cipher.encrypt(token.access_token), orcid=token.orcid,
            user_id=_user_of(request), last_error="granted; not stored yet",
            next_attempt_at=datetime.now(UTC) + GRANT_GRACE)
        own = request.environ.get("orcid.dbsession")
        if own is not None:  # the caller owns the transaction (test hook): join it
            own.add(row)
            own.flush()
            self.row_id = row.id
            return
        # committed on its own, before anything else can fail: it must outlive a rollback
        with request.registry["orcid.dbsession_factory"]() as session:
            session.add(row)
            session.flush()
            self.row_id = row.id
            session.commit()

    def kept(self, request) -> None:
        """The link is being stored: drop the guard in the same transaction."""
        from ..models import OrcidPendingRevocation

        request.orcid_db.execute(delete(OrcidPendingRevocation)
                                 .where(OrcidPendingRevocation.id == self.row_id))

    def abandon(self, request, user_id: str, *, keep_token: bool = False) -> None:
        """The callback failed: revoke now (unless the token is another link's), else make the
        guard due at once for the worker. Written in the request's session: if that rolls
        back, the guard still comes due after the grace period."""
        from ..models import OrcidPendingRevocation

        row = OrcidPendingRevocation.id == self.row_id
        if keep_token:
            statement = delete(OrcidPendingRevocation).where(row)
        else:
            try:
                request.orcid_client.revoke(self.token.access_token, log_context={
                    "user_id": user_id, "orcid": self.token.orcid})
                statement = delete(OrcidPendingRevocation).where(row)
            except OrcidError as exc:
                log.warning("revoking an unused grant failed (%s); queued", exc.summary())
                statement = (update(OrcidPendingRevocation).where(row)
                             .values(next_attempt_at=datetime.now(UTC), last_error=exc.summary()))
        try:
            with request.orcid_db.begin_nested():
                request.orcid_db.execute(statement)
        except SQLAlchemyError as exc:  # the request's own failure: the guard comes due later
            log.warning("could not update the guard of an unused grant: %s",
                        type(exc).__name__)


def _held_by_a_link(session, cipher, orcid: str | None, token: str) -> bool:
    """Whether a link of ``orcid`` stores ``token`` (then it is in use: never revoke it)."""
    from ..models import OrcidLink

    if not orcid:
        return False
    for link in session.execute(select(OrcidLink).where(OrcidLink.orcid == orcid)).scalars():
        held, _ = readable_tokens(cipher, link.access_token_enc, link.refresh_token_enc)
        if token in held:
            return True
    return False


def retry_pending_revocations(dbsession, client, cipher, *, now: datetime | None = None,
                              limit: int = 100) -> tuple[int, int]:
    """Revoke the due queued tokens; the sync worker calls this on every loop.

    Returns ``(revoked, still_pending)``. Failures back off exponentially (1 min .. 1 day); an
    error a retry cannot fix (ORCID refused the request) drops the row with a warning. Rows
    are claimed first (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional update
    everywhere) so two workers never work on the same one. The caller commits.
    """
    from ..models import OrcidPendingRevocation as Row

    now = now or datetime.now(UTC)
    query = select(Row).where(Row.next_attempt_at <= now).order_by(Row.id).limit(limit)
    if dbsession.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = dbsession.execute(query).scalars().all()
    revoked = pending = 0
    for row in rows:
        taken = dbsession.execute(
            update(Row).where(Row.id == row.id, Row.next_attempt_at <= now)
            .values(next_attempt_at=now + CLAIM).execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            continue
        try:
            token = cipher.decrypt(row.token_enc)
            if _held_by_a_link(dbsession, cipher, row.orcid, token):
                dbsession.delete(row)  # handed back by ORCID and stored again: in use
                continue
            client.revoke(token, log_context={"user_id": row.user_id, "orcid": row.orcid})
        except TokenDecryptError as exc:
            row.attempts += 1
            row.last_error = str(exc)
            row.next_attempt_at = now + timedelta(days=1)
            pending += 1
            continue
        except OrcidError as exc:
            if not exc.retryable:
                log.warning("ORCID refused a queued revocation for user %s, iD %s (%s); "
                            "dropping it", row.user_id, row.orcid, exc.summary())
                dbsession.delete(row)
                continue
            row.attempts += 1
            row.last_error = exc.summary()
            row.next_attempt_at = now + timedelta(seconds=min(60 * 2 ** row.attempts, 86400))
            pending += 1
            continue
        dbsession.delete(row)
        revoked += 1
    dbsession.flush()
    return revoked, pending
