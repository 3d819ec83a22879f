"""``OrcidLink``: one user's authenticated iD with everything the token exchange returned
(DM-4), tokens encrypted at rest by :class:`orcid_pyramid.crypto.TokenCipher`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orcid_pyramid.client.tokens import expand_scopes

from .meta import Base, UTCDateTime, utcnow

STATUS_ACTIVE = "active"
#: ORCID said the token is invalid (401 / revoked by the user); the iD stays for display
STATUS_REVOKED = "revoked"


class OrcidLink(Base):
    """A user <-> iD link. One iD per user and one user per iD, enforced by the database."""

    __tablename__ = "orcid_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), unique=True)
    orcid: Mapped[str] = mapped_column(String(19), unique=True)
    name: Mapped[str | None] = mapped_column(String(500))
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    token_type: Mapped[str] = mapped_column(String(40), default="bearer")
    #: the granted scopes exactly as ORCID returned them (space separated)
    scope: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    id_token_claims: Mapped[dict | None] = mapped_column(JSON)
    #: the raw OpenID id_token (a signed JWT) as ORCID returned it, encrypted like the tokens:
    #: kept as evidence of the authentication (DM-4), deleted with the link at disconnect
    id_token_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __init__(self, **values):
        # column defaults apply only at flush; helpers like is_live() run before that
        values.setdefault("status", STATUS_ACTIVE)
        values.setdefault("token_type", "bearer")
        values.setdefault("scope", "")
        super().__init__(**values)

    def __repr__(self) -> str:  # no token material, even encrypted, in reprs and logs
        return f"<OrcidLink user_id={self.user_id!r} orcid={self.orcid!r} status={self.status}>"

    @property
    def scopes(self) -> frozenset[str]:
        """The granted scopes as a set."""
        return frozenset((self.scope or "").split())

    def covers(self, scopes: Iterable[str]) -> bool:
        """True when the granted scopes (with ORCID's implied scopes) include all of ``scopes``
        (BP-4: do not send the user to ORCID again for what they already granted)."""
        return set(scopes) <= expand_scopes(self.scopes)

    def is_live(self, now: datetime | None = None) -> bool:
        """True when the link is active, holds a token and the token has not expired."""
        if self.status != STATUS_ACTIVE or not self.access_token_enc:
            return False
        if self.expires_at is None:
            return True
        return self.expires_at > (now or utcnow())

    def mark_revoked(self, now: datetime | None = None) -> None:
        """ORCID refused the token: forget the tokens, keep the iD, remember when."""
        self.status = STATUS_REVOKED
        self.access_token_enc = None
        self.refresh_token_enc = None
        self.revoked_at = now or utcnow()
