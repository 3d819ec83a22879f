"""The registry's browser pages: sign-in, registration, consent, sign-out, ``userStatus.json``.

``GET /oauth/authorize`` shows the sign-in page (or registration, when ``show_login=false`` or
the pre-filled email/iD matches no record), then the consent page listing the scopes in words.
As on ORCID, each page links to the other: "Register now" adds ``show_login=false``; "Already
have an ORCID iD? Sign in" drops ``show_login`` and a pre-filled email/iD that matches no record
(ORCID ignores ``show_login=true``, orcid-facts/oauth.md#authorize), so someone whose email is
unknown can still sign in with an account they have.
The forms POST back to the same URL (query string kept) with a per-session CSRF token and an
``action`` of ``signin``, ``register``, ``authorize`` or ``deny``. A browser session cookie
remembers the signed-in user; ``prompt=login`` and ``max_age`` force a fresh sign-in
(orcid-facts/oauth.md#authorize, orcid-facts/sign-out-and-sandbox.md).
"""

from __future__ import annotations

import re
import secrets
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jinja2
from webob import Request, Response

from . import authorize as authz
from . import scopes, seed
from .responses import html_response, json_response, redirect
from .state import BrowserSession, EmulatorState

COOKIE = "orcid_emulator_session"
_JSONP_NAME = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")
_env_lock = threading.Lock()
_env: list[jinja2.Environment] = []


def _templates() -> jinja2.Environment:
    with _env_lock:
        if not _env:
            _env.append(jinja2.Environment(
                loader=jinja2.PackageLoader("orcid_pyramid.emulator", "templates"),
                autoescape=True, undefined=jinja2.StrictUndefined))
        return _env[0]


def render(name: str, status: int = 200, **values) -> Response:
    """Render one of the emulator's templates."""
    values.setdefault("lang", "en")
    return html_response(_templates().get_template(name).render(**values), status)


def message_page(heading: str, text: str, error: str | None = None, status: int = 400,
                 lang: str = "en") -> Response:
    """A page that says what went wrong (no redirect)."""
    return render("message.html", status, heading=heading, text=text, error=error, lang=lang)


def _session(request: Request, state: EmulatorState, create: bool) -> BrowserSession | None:
    sid = request.cookies.get(COOKIE)
    with state.lock:
        found = state.sessions.get(sid) if sid else None
        if found is None and create:
            found = BrowserSession(session_id=secrets.token_urlsafe(24),
                                   csrf=secrets.token_urlsafe(24))
            state.sessions[found.session_id] = found
    return found


def _with_cookie(request: Request, response: Response, session: BrowserSession) -> Response:
    response.set_cookie(COOKIE, session.session_id, path=request.script_name or "/",
                        httponly=True, samesite="Lax")
    return response


def _lang(request: Request) -> str:
    lang = request.GET.get("lang", "en")
    return lang if re.match(r"^[a-z]{2}(_[A-Z]{2})?$", lang) else "en"


def authorize(request: Request, state: EmulatorState) -> Response:
    """``GET|POST /oauth/authorize``."""
    if request.method not in ("GET", "POST"):
        return message_page("Method not allowed", "Use GET to start authorization.", status=405)
    params = request.GET
    lang = _lang(request)
    try:
        req = authz.check_authorize(state, params)
    except authz.AuthorizeError as exc:
        if not exc.redirect:
            return message_page("Oops! Something went wrong",
                                "The application sent an invalid authorization request.",
                                error=exc.description, lang=lang)
        return redirect(authz.redirect_to(
            params["redirect_uri"], params.get("response_type"),
            {"error": exc.error, "error_description": exc.description,
             "state": params.get("state")}))
    session = _session(request, state, create=True)
    response = _post(request, state, req, session) if request.method == "POST" else \
        _get(request, state, req, session)
    return _with_cookie(request, response, session)


def _get(request: Request, state: EmulatorState, req, session: BrowserSession) -> Response:
    params = request.GET
    prompt = params.get("prompt", "")
    max_age = params.get("max_age", "")
    now = state.now()
    if session.orcid and (prompt == "login" or (
            max_age.isdigit() and now - (session.auth_time or 0) > int(max_age))):
        session.orcid = None
        session.auth_time = None
    if session.orcid is None:
        if prompt == "none":
            return _deny_redirect(req, "login_required", "Login required")
        login = params.get("orcid") or params.get("email") or ""
        known = seed.find_user(state, login) if login else None
        if params.get("show_login") == "false" or (login and known is None):
            return _register_page(request, state, req, session)
        return _signin_page(request, req, session, username=login)
    return _consent_or_code(request, state, req, session)


def _post(request: Request, state: EmulatorState, req, session: BrowserSession) -> Response:
    form = request.POST
    if not secrets.compare_digest(form.get("csrf", "").encode(), session.csrf.encode()):
        return message_page("Your session expired",
                            "Go back to the application and start again.",
                            error="The form was out of date (CSRF check failed).")
    action = form.get("action")
    if action == "signin":
        record = seed.find_user(state, form.get("username"))
        if record is None or not seed.check_password(record, form.get("password")):
            return _signin_page(request, req, session, username=form.get("username", ""),
                                error="Incorrect email, ORCID iD or password.", status=200)
        _sign_in(state, session, record.orcid)
        return _consent_or_code(request, state, req, session)
    if action == "register":
        return _register(request, state, req, session)
    if action in ("authorize", "deny"):
        if session.orcid is None:
            return _signin_page(request, req, session, username="",
                                error="Please sign in first.", status=200)
        if action == "deny":
            return _deny_redirect(req, "access_denied", "User denied access")
        return redirect(authz.answer_url(request, state, req, session.orcid,
                                            session.auth_time))
    return message_page("Oops! Something went wrong", "The form sent an unknown action.")


def _sign_in(state: EmulatorState, session: BrowserSession, orcid: str) -> None:
    with state.lock:
        session.orcid = orcid
        session.auth_time = state.now()


def _register(request: Request, state: EmulatorState, req, session) -> Response:
    form = request.POST
    given = form.get("given_names", "").strip()
    family = form.get("family_names", "").strip()
    email = form.get("email", "").strip()
    password = form.get("password", "")
    problem = None
    if not given:
        problem = "Please enter your first name."
    elif not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        problem = "Please enter a valid email address."
    elif len(password) < 8:
        problem = "Your password must be 8 characters or more."
    elif seed.find_user(state, email) is not None:
        problem = "This email is already registered. Please sign in instead."
    if problem:
        return _register_page(request, state, req, session, error=problem, values=form)
    record = seed.create_user(state, given, family or None, email, password)
    _sign_in(state, session, record.orcid)
    return _consent_or_code(request, state, req, session)


def _consent_or_code(request: Request, state: EmulatorState, req, session) -> Response:
    if authz.has_covering_token(state, req.client.client_id, session.orcid, req.scopes):
        return redirect(authz.answer_url(request, state, req, session.orcid,
                                            session.auth_time))
    if request.GET.get("prompt") == "none":
        return _deny_redirect(req, "interaction_required", "User consent is required")
    record = state.record(session.orcid)
    return render("consent.html", lang=_lang(request), action=request.url, csrf=session.csrf,
                  client_name=req.client.name, user_name=_name(record),
                  orcid_uri=f"https://sandbox.orcid.org/{session.orcid}",
                  scope_words=scopes.describe(req.scopes),
                  signout_url=f"{request.application_url}/signout")


def _name(record) -> str:
    parts = [getattr(record, "given_names", None), getattr(record, "family_names", None)]
    return " ".join(p for p in parts if p) or "ORCID user"


def _signin_page(request, req, session, username: str, error: str | None = None,
                 status: int = 200) -> Response:
    register_url = _with_query(request.url, drop=("show_login",), add={"show_login": "false"})
    return render("signin.html", status, lang=_lang(request), action=request.url,
                  csrf=session.csrf, client_name=req.client.name, username=username,
                  error=error, register_url=register_url)


def _register_page(request, state: EmulatorState, req, session, error: str | None = None,
                   values=None) -> Response:
    values = values if values is not None else request.GET
    # the sign-in form is the default once nothing asks for registration: no show_login, and no
    # pre-filled email or iD that no record has
    unknown = tuple(key for key in ("email", "orcid")
                    if request.GET.get(key) and seed.find_user(state, request.GET[key]) is None)
    signin_url = _with_query(request.url, drop=("show_login", *unknown))
    return render("register.html", lang=_lang(request), action=request.url, csrf=session.csrf,
                  client_name=req.client.name, error=error, signin_url=signin_url,
                  given_names=values.get("given_names", ""),
                  family_names=values.get("family_names", ""), email=values.get("email", ""))


def _with_query(url: str, drop: tuple[str, ...] = (), add: dict | None = None) -> str:
    """``url`` without the query parameters named in ``drop``, then with ``add`` appended."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in drop]
    query.extend((add or {}).items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _deny_redirect(req, error: str, description: str) -> Response:
    return redirect(authz.redirect_to(req.redirect_uri, req.response_type, {
        "error": error, "error_description": description, "state": req.state}))


def _end_session(request: Request, state: EmulatorState) -> bool:
    """Sign the browser out; True if someone was signed in."""
    session = _session(request, state, create=False)
    if session is None:
        return False
    with state.lock:
        was_in = session.orcid is not None
        session.orcid = None
        session.auth_time = None
    return was_in


def user_status(request: Request, state: EmulatorState) -> Response:
    """``GET /userStatus.json[?logUserOut=true][&callback=fn]`` (also JSONP)."""
    if request.GET.get("logUserOut", "").lower() == "true":
        _end_session(request, state)
        logged_in = False
    else:
        session = _session(request, state, create=False)
        logged_in = bool(session and session.orcid)
    callback = request.GET.get("callback")
    if callback:
        if not _JSONP_NAME.match(callback):
            return json_response({"error": "invalid callback name"}, 400)
        body = f'{callback}({{"loggedIn": {"true" if logged_in else "false"}}});'
        return Response(body=body.encode(), content_type="application/javascript",
                        charset="UTF-8")
    return json_response({"loggedIn": logged_in})


def signout(request: Request, state: EmulatorState) -> Response:
    """``GET /signout``: end the browser session and say so."""
    _end_session(request, state)
    return message_page("You have signed out",
                        "You are no longer signed in to the ORCID Sandbox (emulated).",
                        status=200, lang=_lang(request))
