"""The demo site's pages: home, sign-in/out, profile (the add-on's panel and macro) and works."""

from __future__ import annotations

from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.security import forget, remember
from sqlalchemy import select

from ..i18n import _, translate
from ..services.links import safe_next
from .push import DEMO_EMPLOYMENT_KEY as EMPLOYMENT_KEY
from .users import USERS, DemoAccounts
from .works import works_for

T = "orcid_pyramid:demo/templates/"


def includeme(config) -> None:
    """The demo's routes and views."""
    config.add_static_view("demo-static", "orcid_pyramid:demo/static/")
    config.add_route("home", "/")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout", request_method="POST")
    config.add_route("profile", "/profile")
    config.add_route("people", "/people")
    config.add_route("works", "/works")
    config.add_route("works.push", "/works/push", request_method="POST")
    config.add_view(home, route_name="home", renderer=T + "home.jinja2")
    config.add_view(login, route_name="login", renderer=T + "login.jinja2")
    config.add_view(logout, route_name="logout")
    config.add_view(profile, route_name="profile", renderer=T + "profile.jinja2",
                    permission="view")
    config.add_view(people, route_name="people", renderer=T + "people.jinja2")
    config.add_view(works, route_name="works", renderer=T + "works.jinja2", permission="view")
    config.add_view(push_works, route_name="works.push", permission="view")
    config.include("orcid_pyramid.demo.collect")
    config.include("orcid_pyramid.demo.errors")
    config.include("orcid_pyramid.demo.i18n")
    config.include("orcid_pyramid.demo.urls")


def accounts_of(request) -> DemoAccounts:
    """The site's :class:`DemoAccounts` (the built-in development ones when the demo's views
    are included without the demo's ``main``)."""
    return request.registry.get("demo.accounts") or DemoAccounts()


def current_user(request):
    """The signed-in demo user or None."""
    return USERS.get(request.authenticated_userid or "")


def home(request):
    """What the demo is and where to go."""
    accounts = accounts_of(request)
    return {"user": current_user(request), "users": USERS,
            "demo_password": accounts.builtin_password,
            "admins": sorted(accounts.admin_userids)}


def login(request):
    """Sign in as one of the seeded users; ``next`` may only be a local path."""
    next_path = safe_next(request.params.get("next")) or request.route_url("profile")
    error = None
    if request.method == "POST":
        accounts = accounts_of(request)
        user = accounts.check(request.POST.get("username", ""), request.POST.get("password", ""))
        if user is not None:
            new_csrf_token(request)  # a fresh token per signed-in session
            return HTTPSeeOther(location=next_path, headers=remember(request, user.id))
        error = _("Unknown user or wrong password.")
        request.response.status_int = 400
    return {"next": next_path, "error": error, "users": USERS}


def logout(request):
    """Sign out and go home."""
    request.session.invalidate()
    return HTTPSeeOther(location=request.route_url("home"), headers=forget(request))


def profile(request):
    """The user's profile: their authenticated iD (macro) and the add-on's panel link."""
    return {"user": current_user(request), "link": request.orcid_link}


def people(request):
    """Everyone with a connected iD: the iD display wherever a person appears (CC-DISPLAY)."""
    from ..models import OrcidLink

    links = {link.user_id: link for link in request.orcid_db.execute(select(OrcidLink)).scalars()}
    return {"people": [(user, links.get(user.id)) for user in USERS.values()]}


def works(request):
    """The user's works and the demo employment, and each one's state on ORCID in words."""
    from ..sync.status import items_for_user

    user = current_user(request)
    statuses = {item.local_key: item for item in items_for_user(request.orcid_db, user.id)}
    return {"user": user, "works": works_for(user.id), "statuses": statuses,
            "employment": _demo_employment(), "employment_status": statuses.get(EMPLOYMENT_KEY),
            "link": request.orcid_link}


def _demo_employment() -> dict:
    """What the page shows of the employment the demo sends."""
    from .push import demo_employment

    employment = demo_employment()
    organization = employment.organization
    return {"organization": organization.name, "department": employment.department_name,
            "role": employment.role_title}


def push_works(request):
    """Queue the user's works and the demo employment for ORCID (the sync worker sends them;
    ``demo.sync_worker = true`` runs one inside the demo)."""
    from pyramid.csrf import check_csrf_token

    check_csrf_token(request)
    user = current_user(request)
    sync = getattr(request, "orcid_sync", None)
    if sync is None:
        request.session.flash("Sending works needs the sync engine.", "orcid-error")
    elif request.orcid_link is None:
        request.session.flash("Connect your ORCID iD first.", "orcid-error")
    else:
        from .push import enqueue_demo

        count = enqueue_demo(sync, user.id, works_for(user.id))
        # translated now: the session keeps text, not the count to fill in later
        request.session.flash(translate(request, _(
            "Your works and employment (${count} items) are queued for ORCID.", count=count)),
            "orcid")
    return HTTPFound(location=request.route_url("works"))

