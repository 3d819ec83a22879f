"""Events the add-on notifies through Pyramid's registry.

A host subscribes with ``config.add_subscriber(handler, OrcidConnected)``. Events carry plain
values (user id, iD, section, put code) and the request, never tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class OrcidConnected:
    """A local user has linked an authenticated ORCID iD (after a successful callback)."""

    request: Any
    user_id: str
    orcid: str
    scope: tuple[str, ...] = ()
    name: str | None = None


@dataclass
class OrcidDisconnected:
    """A local user has removed their ORCID link; ``revoked`` says whether ORCID confirmed it."""

    request: Any
    user_id: str
    orcid: str
    revoked: bool = True


@dataclass
class OrcidItemChanged:
    """An item written by this site was changed on the ORCID record (seen by sync)."""

    request: Any
    user_id: str | None
    orcid: str
    section: str
    put_code: int | str | None
    details: dict = field(default_factory=dict)


@dataclass
class OrcidItemDeleted:
    """The researcher deleted, on ORCID, an item this site had written (seen by sync)."""

    request: Any
    user_id: str | None
    orcid: str
    section: str
    put_code: int | str | None
    details: dict = field(default_factory=dict)
