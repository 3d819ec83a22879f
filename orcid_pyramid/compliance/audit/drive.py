"""Drive Chromium through a site's journey and write down what happened.

The order is fixed so every check has what it needs: sign in to the site; connect and deny
(DM-8); connect with ORCID failing at the token endpoint (DM-8); start a connect and deliver
its state from another browser session (BP-1: a bound state is refused); connect for real;
replay the callback's state with a fresh code (BP-1: a site that takes it exchanges the
code); write; update; visit the display pages; try to connect while connected (BP-4);
disconnect (BP-3); connect again with the ORCID session still open in the browser (BP-2:
ORCID must ask the researcher to sign in). Each trip to ORCID and each phase keeps the
emulator calls it caused. The audit is the researcher on ORCID's pages (the emulator's, with
ORCID's element ids).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..browser import CHROMIUM_ARGS, VIEWPORT, chromium_path
from ..orcid_pages import AUTHORIZE, DENY, PASSWORD, SIGN_IN, USERNAME
from .journey import Journey, Step
from .pages import PageView, query_of, read_page
from .proxy import ORCID_HOSTS

STEP_MS = 15000
#: how long a connect control may take to appear when the site may rightly hide it (BP-4)
OPTIONAL_MS = 3000


@dataclass
class Trip:
    """One trip to ORCID from the connect control and back."""

    purpose: str
    offered: bool = True  # False: the connect control was not on the page
    authorize_url: str | None = None  # in memory only (state in clear); redact to show
    shown: list[str] = field(default_factory=list)  # ORCID pages: signin, consent, other
    callback_url: str | None = None
    returned: PageView | None = None
    calls: list[dict] = field(default_factory=list)
    error: str = ""


@dataclass
class Phase:
    """A journey phase run on the site (write, update, disconnect...)."""

    name: str
    ran: bool = False
    calls: list[dict] = field(default_factory=list)
    views: list[PageView] = field(default_factory=list)
    error: str = ""


@dataclass
class Observations:
    """Everything the checks read."""

    site: str
    client_id: str
    redirect_uris: list[str]
    emulator_url: str
    journey: Journey
    orcid: str = ""
    trips: dict[str, Trip] = field(default_factory=dict)
    phases: dict[str, Phase] = field(default_factory=dict)
    replay: Trip | None = None
    crossed: Trip | None = None
    record: dict = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)
    proxy_refused: list[str] = field(default_factory=list)

    def site_views(self) -> list[PageView]:
        """Every site page the audit read, in order."""
        views = [v for p in self.phases.values() for v in p.views]
        views += [t.returned for t in self.trips.values() if t.returned is not None]
        return views


class Driver:
    """The browser, the emulator's control API and the researcher, for one audit run."""

    def __init__(self, obs: Observations, control: Any, out: Path, password: str) -> None:
        self.obs = obs
        self.control = control
        self.out = out
        self.password = password
        self.mark = control.calls_page(since=0, limit=0)["next"]
        self.page: Any = None
        self.last_status: dict[str, int] = {}
        self.navigations: list[str] = []

    # --- plumbing -------------------------------------------------------------------------
    def attach(self, page: Any) -> None:
        """Watch the page's main-frame navigations (statuses and callback URLs)."""
        self.page = page
        page.set_default_timeout(STEP_MS)

        def on_response(response) -> None:
            if response.request.is_navigation_request() and response.frame == page.main_frame:
                self.last_status[response.url] = response.status

        page.on("response", on_response)
        page.on("request", lambda request: self.navigations.append(request.url)
                if request.is_navigation_request() else None)

    def new_calls(self) -> list[dict]:
        """The emulator calls since the last look (control calls left out)."""
        page = self.control.calls_page(since=self.mark)
        self.mark = page["next"]
        calls = [c for c in page["calls"] if not c["path"].startswith("/_emulator")]
        self.obs.calls.extend(calls)
        return calls

    def on_orcid(self, url: str) -> bool:
        """True for a URL of ORCID's pages (the emulator, or ORCID's names it stands in for)."""
        parts = urlsplit(url)
        return (parts.netloc == urlsplit(self.obs.emulator_url).netloc
                or (parts.hostname or "") in ORCID_HOSTS)

    def view(self, label: str) -> PageView:
        """Read the current page and screenshot it."""
        self.settle()
        url = self.page.url
        view = read_page(self.page, label, self.last_status.get(url))
        name = "audit-" + "".join(c if c.isalnum() else "-" for c in label) + ".png"
        path = self.out / "screenshots" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.page.screenshot(path=str(path), full_page=True)
            view.screenshot = f"screenshots/{name}"
        except Exception:  # noqa: BLE001 - a page that cannot be pictured is still read
            pass
        return view

    def settle(self) -> None:
        """Let a click's navigation (and its redirects) finish."""
        try:
            self.page.wait_for_load_state("networkidle", timeout=STEP_MS)
        except Exception:  # noqa: BLE001 - a page that keeps polling is settled enough
            self.page.wait_for_load_state("load")

    def run_steps(self, steps: list[Step], optional_click: bool = False) -> bool:
        """Run journey steps on the site; False when an optional last click was not there."""
        for number, step in enumerate(steps, 1):
            if step.kind == "goto":
                self.page.goto(urljoin(self.obs.site.rstrip("/") + "/", step.value))
            elif step.kind == "fill":
                for selector, value in step.value.items():
                    self.page.fill(selector, value)
            elif step.kind == "wait_for":
                self.page.wait_for_selector(step.value)
            else:
                last = optional_click and number == len(steps)
                if last:
                    try:
                        self.page.wait_for_selector(step.value, state="visible",
                                                    timeout=OPTIONAL_MS)
                    except Exception:  # noqa: BLE001 - the control is rightly hidden
                        return False
                self.page.click(step.value)
            self.settle()
        return True

    # --- the journey ----------------------------------------------------------------------
    def phase(self, name: str, steps: list[Step]) -> Phase:
        """Run a site phase and keep its calls and the page it ends on."""
        phase = Phase(name, ran=bool(steps))
        self.obs.phases[name] = phase
        if steps:
            try:
                self.run_steps(steps)
                phase.views.append(self.view(name))
            except Exception as exc:  # noqa: BLE001 - a step that fails is a finding
                phase.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        phase.calls = self.new_calls()
        return phase

    def trip(self, purpose: str, answer: str = "authorize", faults: bool = False,
             optional: bool = False) -> Trip:
        """Click connect, answer ORCID's pages (``authorize`` or ``deny``), come back."""
        trip = Trip(purpose)
        self.obs.trips[purpose] = trip
        start = len(self.navigations)
        try:
            trip.offered = self.run_steps(self.obs.journey.connect, optional_click=optional)
            if trip.offered:
                self._answer_orcid(trip, answer, faults)
                trip.returned = self.view(purpose)
        except Exception as exc:  # noqa: BLE001 - a trip that breaks is a finding
            trip.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            if faults:
                self.control.set_faults(0.0)
        for url in self.navigations[start:]:
            if self.on_orcid(url) and urlsplit(url).path.endswith("/oauth/authorize") and \
                    trip.authorize_url is None:
                trip.authorize_url = url
            elif not self.on_orcid(url) and ("code" in query_of(url) or "error" in
                                             query_of(url)):
                trip.callback_url = url
        trip.calls = self.new_calls()
        return trip

    def _answer_orcid(self, trip: Trip, answer: str, faults: bool) -> None:
        for _ in range(6):
            if not self.on_orcid(self.page.url):
                return
            if self.page.locator(SIGN_IN).count():
                trip.shown.append("signin")
                self.page.fill(USERNAME, self.obs.orcid)
                self.page.fill(PASSWORD, self.password)
                self.page.click(SIGN_IN)
            elif self.page.locator(AUTHORIZE).count():
                trip.shown.append("consent")
                if faults:
                    self.control.set_faults(1.0, ["500"])
                self.page.click(DENY if answer == "deny" else AUTHORIZE)
            elif self.page.locator("#register-form").count():
                trip.shown.append("register")
                raise RuntimeError("ORCID showed its registration form: the site pre-fills an "
                                   "email the test researcher does not have; give it as "
                                   "[researcher] email in the journey")
            else:
                trip.shown.append("other")
                raise RuntimeError(f"ORCID showed a page the audit cannot answer at "
                                   f"{urlsplit(self.page.url).path}")
            self.settle()
        raise RuntimeError("the browser did not come back from ORCID")

    def cross_sessions(self, browser: Any) -> None:
        """BP-1: a state the site issued to this browser, delivered (with a fresh code) by
        another browser session that never had it; a state bound to the session is refused."""
        crossed = Trip("other-session")
        self.obs.crossed = crossed
        try:
            self.run_steps(self.obs.journey.connect)
            if self.on_orcid(self.page.url):
                crossed.authorize_url = self.page.url
            asked = query_of(crossed.authorize_url)
            if not asked.get("state") or not asked.get("redirect_uri"):
                crossed.error = "the connect did not reach ORCID with a state"
                return
            self.page.goto(self.obs.site)
            url = self.control.authorize(self.obs.orcid, self.obs.client_id,
                                         asked.get("scope", "/authenticate"),
                                         asked["redirect_uri"], state=asked["state"])
            crossed.callback_url = url
            context = browser.new_context(viewport=VIEWPORT)
            try:
                other = context.new_page()
                other.set_default_timeout(STEP_MS)
                other.goto(url)
                other.wait_for_load_state("load")
            finally:
                context.close()
        except Exception as exc:  # noqa: BLE001
            crossed.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            crossed.calls = self.new_calls()

    def replay_state(self, connect: Trip) -> None:
        """BP-1: a fresh code with the connect's (used) state, sent to the site's callback."""
        replay = Trip("replay")
        self.obs.replay = replay
        asked = query_of(connect.authorize_url)
        state = query_of(connect.callback_url).get("state")
        if not state or not asked.get("redirect_uri"):
            replay.error = "the connect had no state to replay"
            return
        try:
            url = self.control.authorize(self.obs.orcid, self.obs.client_id,
                                         asked.get("scope", "/authenticate"),
                                         asked["redirect_uri"], state=state)
            replay.callback_url = url
            self.page.goto(url)
            replay.returned = self.view("state-replayed")
        except Exception as exc:  # noqa: BLE001
            replay.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        replay.calls = self.new_calls()


def run_journey(obs: Observations, control: Any, out: Path, proxy_url: str,
                ca_spki: list[str]) -> Observations:
    """Create the researcher, drive Chromium through the journey, fill ``obs``."""
    from playwright.sync_api import sync_playwright

    journey = obs.journey
    password = secrets.token_urlsafe(12)
    researcher = {"given_names": "Audit", "family_names": "Researcher",
                  "email": f"audit-{secrets.token_hex(4)}@example.org", **journey.researcher}
    obs.orcid = control.add_user(password=password, **researcher)
    driver = Driver(obs, control, out, password)
    # the proxy as a plain flag: Playwright's own proxy option would route loopback (the site,
    # the emulator) through it too, where Chromium by itself goes to loopback directly
    args = [*CHROMIUM_ARGS, f"--proxy-server={proxy_url}"]
    if ca_spki:
        args.append(f"--ignore-certificate-errors-spki-list={','.join(ca_spki)}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=args,
                                             headless=True)
        try:
            driver.attach(browser.new_context(viewport=VIEWPORT).new_page())
            driver.phase("sign_in", journey.sign_in)
            driver.trip("deny", answer="deny")
            driver.trip("fault", faults=True)
            driver.cross_sessions(browser)
            connect = driver.trip("connect")
            driver.replay_state(connect)
            driver.phase("write", journey.write)
            driver.phase("update", journey.update)
            display = Phase("display", ran=bool(journey.display))
            for number, page in enumerate(journey.display, 1):
                driver.page.goto(urljoin(obs.site.rstrip("/") + "/", page))
                display.views.append(driver.view(f"display-{number}"))
            display.calls = driver.new_calls()
            obs.phases["display"] = display
            driver.trip("while-connected", optional=True)
            driver.phase("disconnect", journey.disconnect)
            driver.trip("connect-again")
        finally:
            browser.close()
    obs.record = control.record(obs.orcid)
    return obs
