"""A tiny host site for the bare install: the add-on in a Pyramid app, served by the standard
library's wsgiref (no waitress). It prints ``PORT <n>`` once it listens, then serves until killed.

Usage: ``python bare_site.py DATABASE_FILE``. A request's ``X-User`` header signs it in.
"""

import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from pyramid.config import Configurator
from pyramid.response import Response
from pyramid.security import Allowed, Denied
from pyramid.session import SignedCookieSessionFactory

from orcid_pyramid.crypto import generate_key


class HeaderPolicy:
    """Whoever the ``X-User`` header names is signed in and may do anything."""

    def identity(self, request):
        return request.headers.get("X-User")

    def authenticated_userid(self, request):
        return request.headers.get("X-User")

    def permits(self, request, context, permission):
        return Allowed("signed in") if request.headers.get("X-User") else Denied("sign in")

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []


def home(request):
    return Response("<!doctype html><title>Bare site</title><a href='/orcid/'>ORCID</a>")


def make_app(database: str):
    settings = {
        "orcid.environment": "sandbox",
        "orcid.client_id": "APP-BARESITE00000001",
        "orcid.client_secret": "bare-site-secret",
        "orcid.support_email": "support@example.org",
        "orcid.redirect_uri": "https://site.example.org/orcid/callback",
        "orcid.token_key": generate_key(),
        "orcid.sqlalchemy.url": f"sqlite:///{database}",
        "orcid.create_tables": "true",
    }
    config = Configurator(settings=settings)
    config.set_session_factory(SignedCookieSessionFactory("bare-site-session-secret-0123456789"))
    config.set_security_policy(HeaderPolicy())
    config.include("orcid_pyramid")
    config.add_route("home", "/")
    config.add_view(home, route_name="home")
    return config.make_wsgi_app()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, make_app(sys.argv[1]), handler_class=QuietHandler)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()
