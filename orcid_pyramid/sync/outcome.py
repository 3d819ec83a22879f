"""What a sync run did, and the member-API wrapper that commits before every call."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..client.errors import OrcidTransportError


@dataclass
class Counts:
    """What a worker did (for the summary and the tests)."""

    posted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    adopted: int = 0
    rejected: int = 0
    retried: int = 0
    held: int = 0
    deleted_on_orcid: int = 0
    errors: list[str] = field(default_factory=list)
    #: the process's rate bucket (set once, for the summary): seconds its threads waited for
    #: a token, and tokens replaced because their request was held up past the window
    rate_waited: float = 0.0
    tokens_replaced: int = 0

    def add(self, other: Counts) -> None:
        """Add another count into this one."""
        for name in ("posted", "updated", "deleted", "unchanged", "adopted", "rejected",
                     "retried", "held", "deleted_on_orcid"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors[-20:])

    @property
    def done(self) -> int:
        """Rows finished (sent, unchanged or rejected)."""
        return self.posted + self.updated + self.deleted + self.unchanged + self.rejected \
            + self.deleted_on_orcid


class CommitFirst:
    """The member API, committing the worker's session before each call.

    No database transaction stays open while a request is in flight: the call may take
    seconds, other writers (the host, the rate bucket) must not wait on it, and the row
    state written before the call (e.g. "POST in flight") must be durable first.

    ``fence``: called instead of the plain commit; it checks that the user's lease is still
    this worker's (raising :class:`~orcid_pyramid.sync.lease.LeaseLost` otherwise) and
    commits, in one round trip (:meth:`~orcid_pyramid.sync.lease.Lease.fence`).

    ``no_answer``: called when a call got no answer (a timeout, a reset: ORCID may still hold
    the request), before the error goes on to the caller
    (:meth:`~orcid_pyramid.sync.lease.Lease.no_answer`).
    """

    def __init__(self, api, session, fence=None, no_answer=None) -> None:
        self._api = api
        self._session = session
        self._fence = fence or session.commit
        self._no_answer = no_answer

    @property
    def raw(self):
        """The wrapped API (for calls made from other threads, which must not commit)."""
        return self._api

    def __getattr__(self, name):
        target = getattr(self._api, name)
        if not callable(target):
            return target

        def call(*args, **kwargs):
            self._fence()
            try:
                return target(*args, **kwargs)
            except OrcidTransportError:
                if self._no_answer is not None:
                    self._no_answer()
                raise

        return call


class Revoked(Exception):
    """ORCID refused the user's token: stop sending for this user."""
