"""``orcid-pyramid audit``: check any ORCID integration from outside and write the report.

The site is configured with the client id, secret and redirect URIs given here and with the
emulator as its ORCID: through its own settings (the emulator's address), or, for a library
that writes ORCID's host names into its code, through ``HTTPS_PROXY`` pointing at the audit's
proxy (``--proxy-port``), which sends those names to the emulator. Either way the site trusts
the emulator's CA (``--ca-dir``'s ``ca.pem``). Exit status as ``orcid-pyramid report``: 0 all
passed, 1 something failed, 3 nothing failed but something was not checked, 2 the audit
could not run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import click


class CannotRun(click.ClickException):
    """The audit could not run at all (exit 2, as ``orcid-pyramid report``): 1 is kept for
    a report in which something failed."""

    exit_code = 2


@click.command()
@click.option("--site", required=True, help="the site's base URL (https://...)")
@click.option("--client-id", required=True, help="the client id the site is configured with")
@click.option("--client-secret", required=True, envvar="ORCID_AUDIT_CLIENT_SECRET",
              help="the site's client secret (or ORCID_AUDIT_CLIENT_SECRET, kept out of "
              "process lists)")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="a redirect URI the site uses (repeat for several)")
@click.option("--journey", "journey_file", required=True,
              type=click.Path(dir_okay=False, exists=True), help="the journey file (TOML)")
@click.option("--out", default="orcid-audit", show_default=True,
              type=click.Path(file_okay=False), help="folder for the report files")
@click.option("--emulator", "emulator_url", default=None,
              help="use this running emulator (https://host:port) instead of starting one")
@click.option("--emulator-ca", default=None, type=click.Path(dir_okay=False, exists=True),
              envvar="ORCID_EMULATOR_CA", help="the CA file of the --emulator given")
@click.option("--emulator-port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="port of the emulator the audit starts (0: a free one)")
@click.option("--proxy-port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="port of the proxy that sends ORCID's host names to the emulator")
@click.option("--ca-dir", default=None, type=click.Path(file_okay=False),
              help="where the started emulator writes its CA (ca.pem) for the site to trust")
@click.option("--contact", default=None,
              help="who answers the reviewer's questions, e.g. 'Name <email>'")
@click.option("--site-ca", "site_cas", multiple=True,
              type=click.Path(dir_okay=False, exists=True),
              help="a CA file the browser trusts for the site (a development certificate)")
def audit(site, client_id, client_secret, redirect_uris, journey_file, out, emulator_url,
          emulator_ca, emulator_port, proxy_port, ca_dir, contact, site_cas) -> None:
    """Drive Chromium through a site's ORCID journey against the emulator and write
    index.html, report.md and report.json, as orcid-pyramid report does."""
    from orcid_pyramid.compliance.audit.journey import JourneyError, load_journey
    from orcid_pyramid.compliance.browser import NO_CHROMIUM, chromium_path

    try:
        journey = load_journey(journey_file)
    except JourneyError as exc:
        raise CannotRun(str(exc)) from None
    if chromium_path() is None:
        raise CannotRun(NO_CHROMIUM)
    if emulator_url and urlsplit(emulator_url).scheme not in ("http", "https"):
        raise click.BadParameter("must be http(s)://host:port", param_hint="--emulator")
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / "screenshots").glob("audit-*.png"):
        stale.unlink()
    with _Emulator(emulator_url, emulator_ca, emulator_port, ca_dir) as emulator:
        data = _run(emulator, site, client_id, client_secret, list(redirect_uris), journey,
                    out_dir, proxy_port, site_cas, contact)
    from orcid_pyramid.compliance.report import exit_code

    sys.exit(exit_code(data))


def _run(emulator, site, client_id, client_secret, redirect_uris, journey, out_dir,
         proxy_port, site_cas, contact) -> dict:
    import requests
    from playwright.sync_api import Error as PlaywrightError

    from orcid_pyramid.compliance.audit import audit_scenarios
    from orcid_pyramid.compliance.audit.drive import Observations, run_journey
    from orcid_pyramid.compliance.audit.proxy import OrcidHostProxy
    from orcid_pyramid.compliance.checklist import load_checklist
    from orcid_pyramid.compliance.report import RunInfo, write_report
    from orcid_pyramid.emulator.control_client import ControlError
    from orcid_pyramid.emulator.tls import spki_hashes

    try:
        emulator.control.add_client(client_id, client_secret, redirect_uris,
                                    name=urlsplit(site).hostname or client_id)
    except ControlError as exc:
        if exc.status != 409:  # an --emulator given may know the client already
            raise CannotRun(f"the emulator refused the client: {exc.body}") from None
    except requests.RequestException as exc:
        raise CannotRun(f"no emulator answers at {emulator.base_url}: "
                        f"{type(exc).__name__}") from None
    parts = urlsplit(emulator.base_url)
    try:
        proxy = OrcidHostProxy((parts.hostname, parts.port or 443), port=proxy_port).start()
    except OSError as exc:
        raise CannotRun(f"cannot listen on port {proxy_port}: {exc.strerror}") from None
    click.echo(f"Emulator: {emulator.base_url}  proxy for ORCID's host names: {proxy.url}"
               + (f"  CA: {emulator.ca_file}" if emulator.ca_file else ""))
    started = time.monotonic()
    obs = Observations(site=site, client_id=client_id, redirect_uris=redirect_uris,
                       emulator_url=emulator.base_url, journey=journey)
    try:
        trusted = [h for ca in [emulator.ca_file, *site_cas] if ca for h in spki_hashes(ca)]
        run_journey(obs, emulator.control, out_dir, proxy.url, trusted)
    except (ControlError, OSError, RuntimeError, PlaywrightError,
            requests.RequestException) as exc:
        # the browser would not start, or the emulator would not take the researcher: no
        # report rather than one whose every line is an accident of the run
        raise CannotRun(f"the audit could not drive the journey: {exc}") from None
    finally:
        proxy.stop()
    for name, problem in [(t.purpose, t.error) for t in obs.trips.values()] + \
            [(p.name, p.error) for p in obs.phases.values()]:
        if problem:  # also in the lines they affect; said here so the journey can be fixed
            click.echo(f"warning: journey step '{name}': {problem}", err=True)
    requirements = load_checklist()
    scenarios = audit_scenarios(obs, requirements)
    command = "orcid-pyramid audit " + " ".join(_shown_arguments(sys.argv[2:]))
    run = RunInfo(target=_target(site, client_id, emulator.base_url, command, contact),
                  sandbox="emulated", duration=time.monotonic() - started, command=command)
    data = write_report(out_dir, requirements, scenarios, run)
    for row in data["requirements"]:
        reason = f" ({row['reason']})" if row["reason"] else ""
        click.echo(f"{row['id']:<11} {row['status']:<12}{reason}")
    click.echo(f"Report: {out_dir / 'index.html'} (also report.md, report.json)")
    return data


def _target(site: str, client_id: str, emulator_url: str, command: str,
            contact: str | None) -> dict:
    """``report.json``'s ``target``, built as ``orcid-pyramid report`` builds it."""
    from datetime import UTC, datetime

    from orcid_pyramid.compliance.target_info import build_target

    target = build_target(
        {"site_url": site, "client_id": client_id, "orcid_url": emulator_url,
         "orcid_environment": "emulated (audited from outside through the browser)"},
        name=f"{site}, audited from outside through the browser and the emulator",
        date=datetime.now(UTC).replace(microsecond=0).isoformat(), command=command,
        contact=contact)
    if "contact" in target["missing"]:
        target["missing"]["contact"] = ("not given: pass --contact 'Name <email>' to "
                                        "orcid-pyramid audit")
    return target


def _shown_arguments(arguments: list[str]) -> list[str]:
    """The command line for the report, the client secret's value hidden."""
    from orcid_pyramid.compliance.evidence import redact

    shown, hide_next = [], False
    for argument in arguments:
        if hide_next:
            argument, hide_next = redact(argument), False
        elif argument == "--client-secret":
            hide_next = True
        elif argument.startswith("--client-secret="):
            argument = "--client-secret=" + redact(argument.split("=", 1)[1])
        shown.append(argument)
    return shown


class _Emulator:
    """The emulator the audit talks to: the one given, or one started here over HTTPS."""

    def __init__(self, url, ca_file, port, ca_dir) -> None:
        self.url, self.ca_file, self.port, self.ca_dir = url, ca_file, port, ca_dir
        self.listening = self.app = self.stopping = None

    def __enter__(self) -> _Emulator:
        import requests

        from orcid_pyramid.emulator.control_client import EmulatorControl

        if self.url:
            self.base_url = self.url.rstrip("/")
        else:
            self.base_url = self._start()
        session = requests.Session()
        session.trust_env = False  # the site's proxy variables are not the audit's
        self.control = EmulatorControl(self.base_url, session=session,
                                       verify=str(self.ca_file) if self.ca_file else None)
        return self

    def _start(self) -> str:
        import threading

        from orcid_pyramid.compliance.fixtures.serving import serve_until
        from orcid_pyramid.emulator import make_app
        from orcid_pyramid.emulator.serve import listen, make_local_ca

        ca = make_local_ca(self.ca_dir)
        self.ca_file = ca.ca_file
        self.app = make_app(seed=None, rate_limit=None)
        try:
            self.listening = listen(self.app, port=self.port, ca=ca)
        except OSError as exc:
            self.app.close()
            raise CannotRun(f"cannot listen on port {self.port}: {exc.strerror}") from None
        self.stopping = threading.Event()
        threading.Thread(target=serve_until, args=(self.listening.server, self.stopping),
                         name="orcid-audit-emulator", daemon=True).start()
        return self.listening.base_url

    def __exit__(self, *exc) -> None:
        self.control.session.close()
        if self.listening is not None:
            self.listening.front.stop()
            self.stopping.set()
            self.app.close()
