"""The demo site's local accounts, its security policy and its ``orcid.user_info`` callable.

alice is the emulator's seeded researcher (Josiah Carberry); bob is a second researcher; carol
has no family name (the case ORCID integrations often break on); admin may read the call log.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from pyramid.authentication import SessionAuthenticationHelper
from pyramid.security import Allowed, Denied

DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class DemoUser:
    """One local account."""

    id: str
    given_names: str
    family_names: str | None
    email: str
    admin: bool = False
    #: a language the user chose for ORCID's pages; None: the language they read the site in
    lang: str | None = None

    @property
    def display_name(self) -> str:
        """Given and family names, as far as they exist."""
        return " ".join(p for p in (self.given_names, self.family_names) if p)


USERS = {
    user.id: user for user in (
        DemoUser("alice", "Josiah", "Carberry", "josiah.carberry@example.org"),
        DemoUser("bob", "Bob", "Example", "bob@example.org"),
        DemoUser("carol", "Carol", None, "carol@example.org"),
        DemoUser("admin", "Ada", "Admin", "admin@example.org", admin=True),
    )
}


def check_password(username: str, password: str) -> DemoUser | None:
    """The user when ``password`` is right, else None (constant-time comparison)."""
    user = USERS.get(username or "")
    ok = hmac.compare_digest((password or "").encode(), DEMO_PASSWORD.encode())
    return user if user is not None and ok else None


def user_info(request) -> dict:
    """``orcid.user_info``: pre-fill ORCID's sign-in/registration form (BP-1)."""
    user = USERS.get(request.authenticated_userid or "")
    if user is None:
        return {}
    info = {"given_names": user.given_names, "family_names": user.family_names,
            "email": user.email}
    if user.lang:
        info["lang"] = user.lang
    return info


class DemoSecurityPolicy:
    """Session-based sign-in; ``orcid.admin`` only for admin users, everything else for any
    signed-in user."""

    def __init__(self) -> None:
        self.helper = SessionAuthenticationHelper()

    def identity(self, request) -> DemoUser | None:
        """The signed-in :class:`DemoUser`."""
        return USERS.get(self.helper.authenticated_userid(request) or "")

    def authenticated_userid(self, request) -> str | None:
        """The signed-in user's id."""
        user = self.identity(request)
        return user.id if user else None

    def permits(self, request, context, permission):
        """Admins get ``orcid.admin``; signed-in users get the rest."""
        user = self.identity(request)
        if user is None:
            return Denied("not signed in")
        if permission == "orcid.admin" and not user.admin:
            return Denied("orcid.admin is for administrators")
        return Allowed("signed in")

    def remember(self, request, userid, **kw):
        """Sign in (stores the id in the session)."""
        return self.helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        """Sign out."""
        return self.helper.forget(request, **kw)
