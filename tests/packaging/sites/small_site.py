"""A small third-party host site for ``orcid-pyramid report --orcid-app``: its own accounts,
session, security policy and sign-in form, with the add-on included. Paste entry point
``call:small_site:main``; the compliance suite signs in with :func:`sign_in`."""

import html
import re

from pyramid.config import Configurator
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.security import Allowed, Denied
from pyramid.session import SignedCookieSessionFactory

#: user id -> (password, given name, family name, email)
ACCOUNTS = {"alice": ("alice-site-password", "Josiah", "Carberry", "josiah.carberry@example.org")}


class SessionPolicy:
    """The signed-in account is the session's; every signed-in account may do anything."""

    def identity(self, request):
        return request.session.get("user")

    def authenticated_userid(self, request):
        return request.session.get("user")

    def permits(self, request, context, permission):
        return Allowed("signed in") if request.session.get("user") else Denied("sign in first")

    def remember(self, request, userid, **kw):
        request.session["user"] = userid
        return []

    def forget(self, request, **kw):
        request.session.pop("user", None)
        return []


def user_info(request):
    """What the add-on may pre-fill on ORCID's sign-in form."""
    _, given, family, email = ACCOUNTS[request.authenticated_userid]
    return {"given_names": given, "family_names": family, "email": email}


def login_form(request):
    token = html.escape(get_csrf_token(request))
    return Response(f"""<!doctype html><html lang="en"><title>Sign in</title><main>
<form method="post" action="/login"><input type="hidden" name="csrf_token" value="{token}">
<label>User <input name="user"></label><label>Password <input name="password" type="password">
</label><button>Sign in</button></form></main></html>""")


def login(request):
    user, password = request.POST.get("user", ""), request.POST.get("password", "")
    if ACCOUNTS.get(user, ("",))[0] != password or not password:
        return Response("wrong user or password", status=403)
    request.session.invalidate()
    request.session["user"] = user
    return HTTPSeeOther("/orcid/")


def home(request):
    return Response("<!doctype html><html lang='en'><title>Small site</title>"
                    "<main><a href='/orcid/'>ORCID</a></main></html>")


def main(global_config, **settings):
    config = Configurator(settings=settings)
    config.set_session_factory(SignedCookieSessionFactory(settings["site.session_secret"]))
    config.set_security_policy(SessionPolicy())
    config.set_default_csrf_options(require_csrf=True)
    config.include("orcid_pyramid")
    config.add_route("home", "/")
    config.add_view(home, route_name="home")
    config.add_route("login", "/login")
    config.add_view(login_form, route_name="login", request_method="GET")
    config.add_view(login, route_name="login", request_method="POST")
    return config.make_wsgi_app()


def sign_in(testapp, researcher):
    """The compliance suite's hook: sign ``researcher`` in through the site's own form."""
    page = testapp.get("/login")
    token = html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1))
    response = testapp.post("/login", {"user": researcher.user_id,
                                       "password": researcher.site_password,
                                       "csrf_token": token})
    assert response.status_int == 303, response.status
