"""The demo site's local accounts, its security policy and its ``orcid.user_info`` callable.

alice is the emulator's seeded researcher (Josiah Carberry); bob is a second researcher; carol
has no family name (the case ORCID integrations often break on); admin is the account that may
read the call log when ``demo.admin_userids`` names it.

Passwords (:class:`DemoAccounts`): on a developer's machine every account signs in with
``demo-password``; a deployed demo (``demo.password_hash``, required by the production app)
has no built-in password, only a scrypt hash from the environment, and nobody may read the
admin pages unless ``demo.admin_userids`` names them.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from pyramid.authentication import SessionAuthenticationHelper
from pyramid.security import Allowed, Denied

from .passwords import parse_hash, verify_password

DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class DemoUser:
    """One local account."""

    id: str
    given_names: str
    family_names: str | None
    email: str
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
        DemoUser("admin", "Ada", "Admin", "admin@example.org"),
    )
}


class DemoAccounts:
    """Which password signs the accounts in and who may read the admin pages.

    ``password_hash`` None means the built-in ``demo-password`` (development only; the
    production app refuses to start without a hash). Admins sign in with
    ``admin_password_hash`` when it is given, else with the same password as everyone.
    """

    def __init__(self, password_hash: str | None = None, admin_userids=("admin",),
                 admin_password_hash: str | None = None) -> None:
        for value in (password_hash, admin_password_hash):
            if value:
                parse_hash(value)  # a bad hash stops the start, not the first sign-in
        self.password_hash = password_hash
        self.admin_password_hash = admin_password_hash
        self.admin_userids = frozenset(admin_userids)

    @classmethod
    def from_settings(cls, settings) -> DemoAccounts:
        """From ``demo.password_hash``, ``demo.admin_userids`` and
        ``demo.admin_password_hash``; without a hash the built-in ``admin`` is the admin."""
        password_hash = (settings.get("demo.password_hash") or "").strip() or None
        default_admins = "admin" if password_hash is None else ""
        admins = settings.get("demo.admin_userids", default_admins) or ""
        return cls(password_hash, admins.replace(",", " ").split(),
                   (settings.get("demo.admin_password_hash") or "").strip() or None)

    @property
    def builtin_password(self) -> str | None:
        """``demo-password`` when it is in use (the home page says so), else None."""
        return DEMO_PASSWORD if self.password_hash is None else None

    def check(self, username: str, password: str) -> DemoUser | None:
        """The user when ``password`` is right, else None (constant-time comparison)."""
        user = USERS.get(username or "")
        if user is None:
            return None
        stored = self.password_hash
        if user.id in self.admin_userids and self.admin_password_hash:
            stored = self.admin_password_hash
        if stored is None:
            ok = hmac.compare_digest((password or "").encode(), DEMO_PASSWORD.encode())
        else:
            ok = verify_password(password or "", stored)
        return user if ok else None

    def is_admin(self, user: DemoUser) -> bool:
        """True when ``demo.admin_userids`` names the user."""
        return user.id in self.admin_userids


def check_password(username: str, password: str) -> DemoUser | None:
    """The user when the built-in development password is right, else None."""
    return DemoAccounts().check(username, password)


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
    """Session-based sign-in; ``orcid.admin`` only for the users ``demo.admin_userids``
    names, everything else for any signed-in user."""

    def __init__(self, accounts: DemoAccounts | None = None) -> None:
        self.helper = SessionAuthenticationHelper()
        self.accounts = accounts or DemoAccounts()

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
        if permission == "orcid.admin" and not self.accounts.is_admin(user):
            return Denied("orcid.admin is for administrators")
        return Allowed("signed in")

    def remember(self, request, userid, **kw):
        """Sign in (stores the id in the session)."""
        return self.helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        """Sign out."""
        return self.helper.forget(request, **kw)
