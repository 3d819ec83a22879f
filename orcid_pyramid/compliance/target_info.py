"""Who and what a report checked: the ``target`` object of ``report.json`` and its heading.

A reviewer at ORCID must be able to tell which site, which client, which ORCID registry and
which code a report speaks for, and how to get the same report again. Two processes know
parts of it: the suite's pytest run knows the site it built (:func:`describe_site`, written
to ``target.json`` beside the evidence), and ``orcid-pyramid report`` knows the command, the
contact and the date (:func:`build_target`). What neither knows is not left out silently: it
is listed under ``missing`` with the reason, and the report prints that reason in its place.
"""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: the target's fields in the order the report's heading shows them, with their labels
FIELDS = (
    ("site_url", "Site"),
    ("client_id", "Client id"),
    ("orcid_environment", "ORCID environment"),
    ("orcid_url", "ORCID registry"),
    ("addon_version", "Add-on version"),
    ("commit", "Add-on commit"),
    ("suite_version", "Compliance suite"),
    ("date", "Date"),
    ("command", "Run it again"),
    ("contact", "Contact"),
)

#: why the contact line is empty, and how to fill it
NO_CONTACT = ("not given: pass --contact 'Name <email>' to orcid-pyramid report, or set "
              "orcid.compliance.contact in the site's ini")
NO_SITE = "the suite built no site (no scenario reached the site under test)"


def describe_site(site: Any, live: bool) -> dict[str, Any]:
    """What the suite's own run knows of the site it checks (called once per run)."""
    settings = site.settings
    info: dict[str, Any] = {
        "name": site.description,
        "client_id": settings.client_id,
        "orcid_environment": "live sandbox" if live else "emulated",
        "orcid_url": settings.base_url,
        "contact_setting": str(site.registry.settings.get("orcid.compliance.contact") or ""),
        "missing": {},
    }
    if settings.redirect_uri:
        parts = urlsplit(settings.redirect_uri)
        info["site_url"] = f"{parts.scheme}://{parts.netloc}"
    elif site.kind == "demo":
        from .site import WEBTEST_HOST, WEBTEST_SCHEME

        info["site_url"] = (f"{WEBTEST_SCHEME}://{WEBTEST_HOST} (the bundled demo, served "
                            "in-process for the run)")
    else:
        info["missing"]["site_url"] = ("the site does not set orcid.redirect_uri, so its public "
                                       "address is unknown (it was reached in-process)")
    if not settings.client_id:
        info["missing"]["client_id"] = "the site sets no orcid.client_id"
    return info


def addon_version() -> str:
    """The installed orcid-pyramid's version."""
    try:
        return metadata.version("orcid-pyramid")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def addon_commit() -> tuple[str | None, str]:
    """``(commit, why_not)``: the git commit of the add-on's own checkout, with "(local
    changes)" when its files differ; None and the reason for an installed package (a wheel in
    a virtualenv inside some other repository must not borrow that repository's commit)."""
    package = Path(__file__).resolve().parents[1]
    try:
        top = _git(package, "rev-parse", "--show-toplevel")
        if top is None or Path(top).resolve() != package.parent:
            return None, "not a git checkout (an installed package)"
        commit = _git(package, "rev-parse", "HEAD")
        dirty = _git(package, "status", "--porcelain", "--untracked-files=no")
    except OSError:
        return None, "git is not installed"
    if not commit:
        return None, "the checkout has no commit"
    return commit + (" (with local changes)" if dirty else ""), ""


def suite_version(features: Path | None = None) -> str:
    """The add-on's version and a digest of the feature files and checklist the suite ran:
    two reports with the same digest ran the same scenarios. Feature files other than the
    packaged ones (``--features``) and a checklist other than the packaged one
    (``ORCID_CHECKLIST``) are named: the report's lines then come from them."""
    from . import FEATURES
    from .checklist import PACKAGED_CHECKLIST, find_checklist

    folder = Path(features) if features is not None else FEATURES
    checklist = find_checklist()
    digest = hashlib.sha256()
    files = [("checklist.md", checklist)] + [(p.name, p) for p in sorted(
        folder.glob("*.feature"))]
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes())
    version = f"{addon_version()} (features sha256:{digest.hexdigest()[:12]}"
    if folder.resolve() != FEATURES.resolve():
        version += f"; feature files from {folder}, not the packaged ones"
    if checklist.resolve() != PACKAGED_CHECKLIST.resolve():
        version += f"; checklist {checklist} from ORCID_CHECKLIST, not the packaged one"
    return version + ")"


def build_target(site: dict[str, Any] | None, *, name: str, date: str, command: str,
                 contact: str | None, features: Path | None = None) -> dict[str, Any]:
    """``report.json``'s ``target``: the suite's description of the site plus what only the
    command knows. ``contact`` from the flag wins over the site's setting."""
    site = dict(site or {})
    missing = dict(site.pop("missing", {}) or {})
    setting = site.pop("contact_setting", "")
    if not site:
        for key in ("site_url", "client_id", "orcid_environment", "orcid_url"):
            missing[key] = NO_SITE
    commit, why = addon_commit()
    site.pop("name", None)  # the command names the target better (the ini, the stand-in)
    target = {"name": name, **site,
              "addon_version": addon_version(), "commit": commit,
              "suite_version": suite_version(features), "date": date, "command": command,
              "contact": contact or setting or None}
    if commit is None:
        missing["commit"] = why
    if not target["contact"]:
        missing["contact"] = NO_CONTACT
    for key, _ in FIELDS:
        target.setdefault(key, None)
    target["missing"] = {key: missing[key] for key, _ in FIELDS if key in missing}
    return target


def _git(folder: Path, *args: str) -> str | None:
    completed = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                               text=True, timeout=10, check=False)
    return completed.stdout.strip() if completed.returncode == 0 else None
