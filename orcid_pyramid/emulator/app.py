"""The emulator's WSGI application: host prefixes, dispatch, faults, latency, rate limit, and
the call record.

ORCID's three hosts share one port (docs/architecture.md). As at ORCID, the Host header tells
them apart: ``api.…`` is the member API, ``pub.…`` the public API, any other name the registry.
Where a client cannot name them (``127.0.0.1`` has no subdomains), path prefixes do the same:
the member API under ``/api``, the public API under ``/pub``; a bare ``/v3.0/…`` is the
member API.
Every request, control calls included, lands in ``state.calls``. Any unexpected exception
becomes an ORCID-style 500 (9008), is kept in ``state.errors`` and logged, so a bug in the
emulator shows up in the test that hit it instead of hiding behind a retry.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from urllib.parse import parse_qsl, urlencode

from webob import Request, Response

from . import oauth, oidc, pages, webhooks
from .control import handle_control
from .faults import FaultConfig, FaultInjector, drop_connection, malformed_body
from .ratelimit import ARRIVED, RateLimiter, RateSpec
from .responses import MAX_BODY, api_error, html_response, json_response, oauth_error
from .seed import apply_seed
from .state import CallRecord, EmulatorState

log = logging.getLogger("orcid_pyramid.emulator")
#: the environ key where the handling notes when its answer may leave (``time.monotonic()``)
_ANSWER_AT = "orcid_emulator.answer_at"
_ORCID_IN_PATH = re.compile(r"^/(?:v[\d.]+(?:_rc\d)?/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])(?:/|$)")
_SECRET_PARAMS = {"code", "client_secret", "access_token", "refresh_token", "token", "password",
                  "id_token"}

_REGISTRY = {
    "/oauth/authorize": pages.authorize,
    "/oauth/token": oauth.token_endpoint,
    "/oauth/revoke": oauth.revoke_endpoint,
    "/oauth/userinfo": oidc.userinfo,
    "/oauth/jwks": oidc.jwks,
    "/.well-known/openid-configuration": oidc.discovery,
    "/userStatus.json": pages.user_status,
    "/signout": pages.signout,
}
_GET_ONLY = {"/oauth/jwks", "/.well-known/openid-configuration", "/userStatus.json", "/signout"}


def split_host(path_info: str, host_header: str = "") -> tuple[str, str]:
    """``("api"|"pub"|"root", path within that host)``, by host name first, then by prefix."""
    name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    label = name.split(".", 1)[0].lower() if "." in name else ""
    if label in ("api", "pub"):
        return label, path_info
    for prefix in ("api", "pub"):
        if path_info == f"/{prefix}" or path_info.startswith(f"/{prefix}/"):
            return prefix, path_info[len(prefix) + 1:] or "/"
    if path_info.startswith("/v3.0/") or path_info == "/v3.0":
        return "api", path_info
    return "root", path_info


def _redacted_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, "***" if k in _SECRET_PARAMS else v) for k, v in pairs])


class EmulatorApp:
    """The emulated ORCID sandbox as a WSGI application (state in memory, thread-safe)."""

    def __init__(self, seed: str | None = None, latency_ms: float = 0,
                 rate_limit: str | None = "24/40", faults: str | FaultConfig | None = None,
                 webhook_base_delay: float = 1.0, webhook_max_attempts: int = 5,
                 webhook_batch_delay: float = 0.0, clock=None,
                 public_rate_limit: str | None = "12/40") -> None:
        self.state = EmulatorState(clock)
        self.seed = seed
        if isinstance(faults, str):
            faults = FaultConfig.parse(faults)
        self.faults = FaultInjector(faults, latency_ms)
        #: per API ("member": ``api.``, "public": ``pub.``), orcid-facts/rate-limits.md
        self.rate_specs: dict[str, RateSpec | None] = {"member": None, "public": None}
        self.limiters: dict[str, RateLimiter | None] = {"member": None, "public": None}
        self._start_rate_limits = (rate_limit, public_rate_limit)
        self.set_rate_limit(rate_limit, public_rate_limit)
        self.webhooks = webhooks.WebhookDispatcher(
            self.state, base_delay=webhook_base_delay, max_attempts=webhook_max_attempts,
            batch_delay=webhook_batch_delay)
        self.state.on_record_changed = self.webhooks.notify
        apply_seed(self.state, seed)

    def set_rate_limit(self, text, public=...) -> None:
        """Switch the member API's per-client limit (``"24/40"``; None disables) and, when
        given, the public API's (``"12/40"``)."""
        given = {api: RateSpec.parse(value) for api, value in (("member", text),
                                                                ("public", public))
                 if value is not ...}  # parse both before changing either
        for api, spec in given.items():
            self.rate_specs[api] = spec
            self.limiters[api] = RateLimiter(spec) if spec else None

    def reset(self) -> None:
        """Forget everything and load the seed again; faults and latency off, the rate limit
        back to its starting value (so one test's settings never leak into the next)."""
        self.webhooks.clear()
        self.state.clear()
        self.faults.configure(FaultConfig())
        self.faults.latency_ms = 0
        self.faults.connect_ms = 0.0
        self.set_rate_limit(*self._start_rate_limits)
        apply_seed(self.state, self.seed)

    def close(self) -> None:
        """Stop the webhook thread."""
        self.webhooks.stop()

    def __call__(self, environ, start_response):
        # the wall clock first, then the timer: ``time`` + ``duration_ms`` is then never later
        # than the answer (read the other way round, a thread paused between the two reads
        # pushed the call's end past its answer, and calls one after the other overlapped)
        at = self.state.now()
        started = time.perf_counter()
        arrived = environ.get(ARRIVED)
        if arrived is not None:
            # the call is logged from its arrival, as ORCID would see it (a wait for one of
            # the server's threads is part of the time it was held)
            waited = max(0.0, time.monotonic() - arrived)
            at -= waited
            started -= waited
        request = Request(environ)
        try:
            path_info = request.path_info
        except UnicodeDecodeError:
            path_info = None
        host, path = split_host(path_info if path_info is not None else
                                environ.get("PATH_INFO", "/"), environ.get("HTTP_HOST", ""))
        call = CallRecord(method=request.method, path=path_info or environ.get("PATH_INFO", ""),
                          query=_redacted_query(request.query_string), host=host, status=0,
                          time=at, generation=self.state.generation,
                          scheme=environ.get("wsgi.url_scheme", "http"))
        try:
            if path_info is None:
                raise UnicodeDecodeError("utf-8", b"", 0, 1, "the path is not UTF-8")
            response = self._handle(request, host, path, call)
        except UnicodeDecodeError:
            # a query string, form or path that is not UTF-8: the client's mistake, not ours
            response = self._bad_encoding(path)
        except ConnectionResetError:
            call.status = 0  # the reset fault: no response at all
            self._finish(call, started)
            raise
        except Exception:
            detail = traceback.format_exc()
            log.error("emulator bug on %s %s\n%s", request.method, request.path_info, detail)
            with self.state.lock:
                self.state.errors.append(f"{request.method} {request.path_info}\n{detail}")
            response = self._server_error(path)
        if call.status == 0:
            call.status = response.status_code
        self._finish(call, started, environ.get(_ANSWER_AT))
        return response(environ, start_response)

    def _finish(self, call: CallRecord, started: float, answer_at: float | None = None) -> None:
        """Record ``call``, which took from ``started`` until now, or until ``answer_at``
        (``time.monotonic()``) when the server holds its answer until then. Both clocks are
        read here, together: the time held counted from any earlier moment would push the
        call's end past its answer (the next call of its client then overlapped it)."""
        now = time.perf_counter()
        held = 0.0 if answer_at is None else max(0.0, answer_at - time.monotonic())
        call.duration_ms = (now - started + held) * 1000.0
        self.state.record_call(call)

    @staticmethod
    def _server_error(path: str) -> Response:
        if path.startswith("/oauth/"):
            return oauth_error("server_error", "Internal server error", 500)
        return api_error(500, 9008, "500 Internal Server Error: an unexpected error occurred "
                         "in the emulator (see /_emulator/errors)")

    def _handle(self, request: Request, host: str, path: str, call: CallRecord) -> Response:
        if host == "root" and (path == "/_emulator" or path.startswith("/_emulator/")):
            return handle_control(request, self, path[len("/_emulator"):])
        # revoke fails like the token endpoint does (a disconnect must survive it)
        is_token = path in ("/oauth/token", "/oauth/revoke")
        is_api = host != "root" and not is_token or "/webhook/" in path
        token = self.state.find_token(oidc.bearer(request))
        if token is not None:
            call.client_id = token.client_id
            call.orcid = token.orcid
        match = _ORCID_IN_PATH.match(path)
        if match:
            call.orcid = match.group(1)
        if request.content_length and request.content_length > MAX_BODY:
            return self._too_large(path)
        if is_token and not call.client_id:
            call.client_id = request.POST.get("client_id") if request.method == "POST" else None
        if not (is_api or is_token):
            return self._route(request, host, path)
        # the latency is the least time a call takes, its handling included (as ORCID's own
        # answer time includes ORCID's work): the call is handled at once and answered when
        # the latency has passed, so the emulator's own CPU is not added to it. Both the
        # latency and the rate limit count from the request's arrival (ratelimit.ARRIVED),
        # not from when a thread was free to start on it.
        arrived = request.environ.get(ARRIVED)
        answer_at = self.faults.answer_at(arrived)
        try:
            limiter = self.limiters["public" if host == "pub" else "member"]
            if is_api and limiter is not None:
                key = token.client_id if token else f"anonymous:{request.remote_addr}"
                if not limiter.allow(key, arrived):
                    return self._rate_limited(limiter.spec)
            fault = self.faults.draw()
            if fault is not None:
                call.status = 0
                return self._fault(fault, request, call)
            return self._route(request, host, path)
        finally:
            self.faults.wait_until(answer_at, request.environ)
            request.environ[_ANSWER_AT] = answer_at

    def _route(self, request: Request, host: str, path: str) -> Response:
        if "/webhook/" in path and host in ("root", "api"):
            return webhooks.webhook_endpoint(request, self.state, path)
        if host == "root" and path in _REGISTRY:
            if path in _GET_ONLY and request.method != "GET":
                return oauth_error("invalid_request", f"Request method '{request.method}' "
                                   "is not supported", 405)
            return _REGISTRY[path](request, self.state)
        if host != "root" and path == "/oauth/token":
            return oauth.token_endpoint(request, self.state)
        if path.startswith("/v3.0/"):
            from . import api  # the member API

            return api.handle_api(request, self.state, "pub" if host == "pub" else "api",
                                  path)
        if path.startswith("/oauth/"):
            return oauth_error("invalid_request", f"No such endpoint: {path}", 404)
        if host == "root" and path == "/":
            return pages.message_page("ORCID Sandbox (emulated)", "A local emulation of "
                                      "sandbox.orcid.org for development and tests.",
                                      status=200)
        if host == "root":
            return pages.message_page("Page not found", f"There is no page at {path}.",
                                      status=404)
        return api_error(404, 9001, "There is an issue with your call. Full validation "
                         f"error: HTTP 404 Not Found ({path})")

    @staticmethod
    def _bad_encoding(path: str) -> Response:
        if path.startswith("/oauth/") and path != "/oauth/authorize":
            return oauth_error("invalid_request", "Parameters must be UTF-8 encoded")
        if path.startswith("/_emulator"):
            return json_response({"error": "the request is not UTF-8 encoded"}, 400)
        if path.startswith("/v3.0/") or "/webhook/" in path:
            return api_error(400, 9001, "There is an issue with your call. Full validation "
                             "error: the request is not UTF-8 encoded")
        return pages.message_page("Oops! Something went wrong",
                                  "The request was not UTF-8 encoded.")

    @staticmethod
    def _too_large(path: str) -> Response:
        if path.startswith("/oauth/"):
            return oauth_error("invalid_request", "Request body larger than 1 MB", 413)
        return api_error(413, 9001, "There is an issue with your call. Full validation "
                         "error: request body larger than 1 MB")

    @staticmethod
    def _rate_limited(spec: RateSpec) -> Response:
        response = api_error(503, 9008, "503 Service Unavailable: rate limit exceeded "
                             f"({spec.rate:g} requests/s, burst {spec.burst})",
                             "ORCID is receiving too many requests. Please try again later.")
        response.headers["Retry-After"] = "1"
        return response

    def _fault(self, kind: str, request: Request, call: CallRecord) -> Response:
        call.status = {"timeout": 504, "reset": 0, "truncated": 200, "malformed": 200}.get(
            kind, int(kind) if kind.isdigit() else 0)
        if kind == "500":
            return api_error(500, 9008, "500 Internal Server Error (emulated fault)")
        if kind in ("502", "503"):
            reason = "Bad Gateway" if kind == "502" else "Service Temporarily Unavailable"
            # gateway errors come from ORCID's front proxy as HTML, not ORCID JSON
            return html_response(f"<html><head><title>{kind} {reason}</title></head><body>"
                                 f"<center><h1>{kind} {reason}</h1></center></body></html>",
                                 int(kind))
        if kind == "timeout":
            time.sleep(self.faults.config.timeout_s)
            return api_error(504, 9008, "504 Gateway Timeout (emulated fault)")
        if kind == "reset":
            drop_connection(request.environ)
            return Response(status=500)  # never reaches the client: the socket is gone
        if kind == "truncated":
            response = json_response({"last-modified-date": None, "group": [],
                                      "path": request.path_info})
            full = len(response.body)
            response.app_iter = [response.body[: full // 2]]
            response.content_length = full
            return response
        response = Response(body=malformed_body(), status=200,
                            content_type="application/json", charset="UTF-8")
        return response
