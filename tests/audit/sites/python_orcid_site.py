"""A small Flask site that signs people in with ORCID the way python-orcid's README shows:
nobody here wrote the ORCID part (python-orcid 1.0.3 builds the authorize URL and exchanges
the code), and nothing in it knows of the emulator: python-orcid calls ORCID's sandbox host
names, which reach the emulator through ``HTTPS_PROXY`` and ``REQUESTS_CA_BUNDLE`` (variables
requests honours). It only authenticates: python-orcid 1.0.3 reads and writes through the
2.0 API, which the emulator (like ORCID's 3.0-only checklist) does not serve.

What a reviewer would find by hand: it pre-fills and sends an unguessable, single-use state
(kept in one list for everyone, so not bound to the browser that asked for it), shows the iD
with the icon, explains failures with a contact, asks only ``/authenticate``; but it offers a
field to type an iD, python-orcid exchanges the code at ``api.sandbox.orcid.org`` (not the
root token URI), the site never signs the researcher out of ORCID before sending them
there, its sign-out only forgets the iD (no revocation at ORCID) and it never reads the
record.
"""

from __future__ import annotations

import secrets

import orcid
import requests
from flask import Flask, redirect, render_template_string, request, session

SUPPORT = "help@login-site.example"
SCOPE = "/authenticate"
USER = {"given_names": "Ada", "family_names": "Lovelace", "email": "ada@login-site.example"}

PAGE = """<!doctype html><title>Login site</title>
<h1>{{ heading }}</h1>
{% if message %}<p class="message">{{ message }}</p>
<p>Need help? Write to <a href="mailto:{{ support }}">{{ support }}</a>.</p>{% endif %}
{% if user and not linked %}<p><a id="connect" href="/orcid/connect">Connect your ORCID iD</a>
</p><form method="post" action="/orcid/typed"><label>Or type your ORCID iD
<input name="orcid" placeholder="0000-0000-0000-0000"></label><button>Save</button></form>
{% endif %}
{% if linked %}
<p>Signed in as {{ linked.name }}</p>
<p><a href="https://sandbox.orcid.org/{{ linked.orcid }}"><svg aria-label="ORCID iD icon"
 width="16" height="16"><circle cx="8" cy="8" r="8" fill="#A6CE39"/></svg>
https://sandbox.orcid.org/{{ linked.orcid }}</a></p>
<form method="post" action="/signout"><button id="signout">Sign out</button></form>{% endif %}
{% if not user %}<form method="post" action="/login"><label>Your name
<input name="username" id="username"></label><button id="login">Sign in</button></form>
{% endif %}"""


def make_app(client_id: str, client_secret: str) -> Flask:
    """The site; ``app.config["REDIRECT_URI"]`` is set once its address is known."""
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(16)
    api = orcid.MemberAPI(client_id, client_secret, sandbox=True)
    links: dict[str, dict] = {}
    pending_states: set[str] = set()  # the states handed out, whoever they went to

    def page(heading: str, message: str = "", status: int = 200):
        user = session.get("user")
        return render_template_string(PAGE, heading=heading, message=message, user=user,
                                      linked=links.get(user or ""), support=SUPPORT), status

    @app.route("/")
    def home():
        return page("Welcome")

    @app.post("/login")
    def login():
        session["user"] = request.form.get("username", "").strip() or "ada"
        return redirect("/profile")

    @app.route("/profile")
    def profile():
        return page("Your profile")

    @app.route("/orcid/connect")
    def connect():
        state = secrets.token_urlsafe(24)
        pending_states.add(state)
        return redirect(api.get_login_url(SCOPE, app.config["REDIRECT_URI"], state=state,
                                          **USER))

    @app.route("/orcid/callback")
    def callback():
        state = request.args.get("state", "")
        if state not in pending_states:
            return page("Please try again", "That link has expired.", 400)
        pending_states.discard(state)
        if request.args.get("error"):
            return page("Not connected", "You did not give us permission on ORCID.")
        try:
            token = api.get_token_from_authorization_code(request.args.get("code", ""),
                                                          app.config["REDIRECT_URI"])
        except (requests.RequestException, KeyError, ValueError):
            return page("ORCID is not available", "We could not reach ORCID.", 503)
        links[session.get("user", "")] = {"orcid": token["orcid"], "name": token.get("name")}
        return redirect("/profile")

    @app.post("/orcid/typed")
    def typed():
        return page("Saved", "We will show the iD you typed once you connect it.")

    @app.post("/signout")
    def signout():
        links.pop(session.get("user", ""), None)
        return redirect("/profile")

    return app
