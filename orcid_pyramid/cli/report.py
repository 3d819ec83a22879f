"""``orcid-pyramid report``: run the compliance suite and write the review report.

The suite runs in a pytest subprocess with the compliance plugin, which writes each scenario's
evidence and pytest outcome to the output folder; this command then renders ``index.html``,
``report.md`` and ``report.json`` from them. Exit status, the same verdict as the report's
summary: 0 when every requirement passed, 1 when any failed, 3 when none failed but some were
not checked (no browser, no schemas, no live credentials...), 2 when the suite could not run
at all or Chromium is missing while ``--require-browser`` is on (the default: a report meant for
ORCID's review must show the pages; ``--no-require-browser`` reports without them, and the
browser checks are then ``not-checked`` with the reason).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import click

#: index.html printed by Chromium
PDF_FILE = "report.pdf"
# pytest's exit codes that mean "the suite did not run" (interrupted, internal, usage error)
_BROKEN_RUN = {2, 3, 4}


class CannotRun(click.ClickException):
    """The suite could not run (or must not, as asked): exit 2, one line on stderr."""

    exit_code = 2


def find_features(explicit: str | None) -> Path | None:
    """What pytest runs: a ``--features`` folder of ``.feature`` files with its own test module,
    else the kit's suite module (the feature files packaged with it)."""
    if not explicit:
        from importlib.util import find_spec

        # located, not imported: importing it binds the scenarios outside a pytest run
        return Path(find_spec("orcid_pyramid.compliance.suite").origin).resolve()
    candidate = Path(explicit)
    if candidate.is_dir() and any(candidate.glob("*.feature")):
        return candidate.resolve()
    return None


def suite_command(
    features: Path, out: Path, live: bool, app: str | None, screenshots: bool
) -> list[str]:
    """The pytest command line that runs the suite and collects evidence into ``out``
    (no pytest cache: from an installed package it would be written into site-packages)."""
    command = [
        sys.executable, "-m", "pytest", str(features),
        "-p", "orcid_pyramid.compliance.plugin", "-p", "no:cacheprovider",
        "--orcid-evidence", str(out),
        "--junitxml", str(out / "junit.xml"),
        "-q", "--no-header", "-rN",
    ]
    if live:
        command.append("--orcid-live")
    if app:
        command += ["--orcid-app", str(Path(app).resolve())]
    if not screenshots:
        command.append("--orcid-no-screenshots")
    return command


#: environment variables that change what a run can show; the command to run it again keeps
#: them (the live credentials are named in the README, never copied into a report)
_RUN_VARIABLES = ("ORCID_CHROMIUM", "ORCID_MODEL_DIR", "ORCID_EMULATOR_TLS",
                  "ORCID_SANDBOX_BASE_URL", "ORCID_SANDBOX_API_URL")


def again_command(params: dict) -> str:
    """The shell command that runs this report again, from the options it was given."""
    words = [f"{name}={os.environ[name]}" for name in _RUN_VARIABLES if os.environ.get(name)]
    words += ["orcid-pyramid", "report", "--out", params["out"]]
    if params.get("live"):
        words.append("--live")
    if params.get("app"):
        words += ["--orcid-app", str(Path(params["app"]).resolve())]
    if params.get("no_screenshots"):
        words.append("--no-screenshots")
    if not params.get("require_browser", True):
        words.append("--no-require-browser")
    if params.get("contact"):
        words += ["--contact", params["contact"]]
    if params.get("features_dir"):
        words += ["--features", str(Path(params["features_dir"]).resolve())]
    return shlex.join(words)


def target_name(live: bool, app: str | None) -> str:
    """How the report names what was tested."""
    if app:
        return f"the Pyramid app in {Path(app).name}" + (" (live sandbox)" if live else "")
    if not live:
        return "the bundled demo site"
    other = os.environ.get("ORCID_SANDBOX_BASE_URL")
    # a rehearsal against another registry must not pass for a run on ORCID's sandbox
    return "the bundled demo site (live sandbox" + (f" at {other})" if other else ")")


@click.command()
@click.option("--out", "out", default="orcid-report", show_default=True,
              type=click.Path(file_okay=False), help="folder for the report files")
@click.option("--live", is_flag=True, help="run against the live ORCID sandbox "
              "(ORCID_CLIENT_ID, ORCID_CLIENT_SECRET, ORCID_SANDBOX_EMAIL, ORCID_SANDBOX_PASSWORD)")
@click.option("--orcid-app", "app", default=None, type=click.Path(dir_okay=False, exists=True),
              help="a Pyramid app's ini that includes the add-on (default: the demo site)")
@click.option("--no-screenshots", is_flag=True, help="skip the Chromium screenshots")
@click.option("--require-browser/--no-require-browser", default=True, show_default=True,
              help="without Chromium, stop (exit 2) instead of reporting the browser checks "
              "as not checked")
@click.option("--contact", default=None, metavar="TEXT",
              help="whom ORCID's reviewer may ask about this report (e.g. 'Name <email>'); "
              "default: the site's orcid.compliance.contact")
@click.option("--features", "features_dir", default=None, type=click.Path(file_okay=False),
              help="a folder of .feature files with its own test module (default: the kit's "
              "packaged suite)")
def report(out: str, live: bool, app: str | None, no_screenshots: bool,
           require_browser: bool, contact: str | None, features_dir: str | None) -> None:
    """Run the compliance suite and write index.html, report.md, report.json, screenshots/."""
    from rich.console import Console

    from orcid_pyramid.compliance.browser import NO_CHROMIUM, chromium_path
    from orcid_pyramid.compliance.checklist import load_checklist
    from orcid_pyramid.compliance.evidence import read_scenarios, read_target
    from orcid_pyramid.compliance.report import (
        RunInfo,
        exit_code,
        scenario_counts,
        screenshots_taken,
        write_report,
    )
    from orcid_pyramid.compliance.target_info import build_target

    console = Console()
    features = find_features(features_dir)
    if features is None:
        raise click.ClickException(
            f"no features/ folder: {features_dir} holds no .feature files")
    if live:
        from orcid_pyramid.compliance.live import missing_variables

        # an app's ini names its own client; the researcher's account comes from the variables
        missing = [name for name in missing_variables()
                   if not app or name.startswith("ORCID_SANDBOX_")]
        if missing:
            raise click.ClickException(
                "--live needs " + ", ".join(missing) + " in the environment (sandbox member "
                "credentials and a sandbox researcher account); nothing was run")
    if require_browser and chromium_path() is None:
        raise CannotRun(f"{NO_CHROMIUM}. Nothing was run; --no-require-browser reports "
                        "without the browser checks (they are then not checked)")
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    # screenshots (and a PDF) of an earlier run must not pass for this run's
    for stale in (out_dir / "screenshots").glob("*.png"):
        stale.unlink()
    (out_dir / PDF_FILE).unlink(missing_ok=True)
    command = suite_command(features, out_dir, live, app, not no_screenshots)
    console.print(f"Running the compliance suite on {target_name(live, app)} …")
    started = time.monotonic()
    completed = subprocess.run(command, cwd=out_dir, env=dict(os.environ),
                               capture_output=True, text=True, check=False)
    duration = time.monotonic() - started
    (out_dir / "pytest-output.txt").write_text(completed.stdout + completed.stderr,
                                               encoding="utf-8")
    scenarios = read_scenarios(out_dir)
    if completed.returncode in _BROKEN_RUN or not scenarios:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
        console.print(tail, markup=False)
        raise CannotRun(
            f"the compliance suite did not run (pytest exit {completed.returncode}); "
            f"full output in {out_dir / 'pytest-output.txt'}")
    run = RunInfo(target=target_name(live, app), sandbox="live" if live else "emulated",
                  duration=duration, command=" ".join(command[2:]),
                  counts=scenario_counts(scenarios),
                  screenshots=screenshots_taken(scenarios))
    run.target = build_target(read_target(out_dir), name=target_name(live, app),
                              date=run.generated_at, contact=contact,
                              features=features if features.is_dir() else None,
                              command=again_command(click.get_current_context().params))
    data = write_report(out_dir, load_checklist(), scenarios, run)
    pdf = _print_pdf(out_dir) if chromium_path() is not None else "no browser to print it"
    _print_summary(console, data, run, out_dir, pdf)
    sys.exit(exit_code(data))


def _print_pdf(out_dir: Path) -> str:
    """``report.pdf`` from index.html; the file's name, or why there is none (a PDF is a
    convenience: its failure does not change the report's verdict)."""
    from orcid_pyramid.compliance.browser import print_pdf

    pdf = out_dir / PDF_FILE
    try:
        print_pdf(out_dir / "index.html", pdf)
    except Exception as exc:  # Playwright's errors have no common base worth naming here
        return f"Chromium could not print it: {str(exc).splitlines()[0]}"
    return PDF_FILE


def _print_summary(console, data: dict, run, out_dir: Path, pdf: str) -> None:
    from rich.table import Table

    table = Table(title=f"ORCID checklist ({data['sandbox']} sandbox)")
    table.add_column("ID")
    table.add_column("Requirement")
    table.add_column("Status")
    colours = {"pass": "green", "fail": "red", "not-checked": "yellow"}
    for row in data["requirements"]:
        status = row["status"]
        reason = f" ({row['reason']})" if row.get("reason") else ""
        table.add_row(row["id"], row["title"], f"[{colours[status]}]{status}[/]{reason}")
    console.print(table)
    badges = ", ".join(f"{k}: {v}" for k, v in data["badges"].items())
    console.print(f"Badges: {badges}")
    console.print(f"Suite duration: {run.duration_text}")
    also = "report.md, report.json, " + (pdf if pdf == PDF_FILE else f"no PDF: {pdf}")
    console.print(f"Report: {out_dir / 'index.html'} (also {also})")
