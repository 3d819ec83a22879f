"""Chromium through Playwright, for what only a browser shows (branding, pre-fill, sign-out)
and for the report's screenshots.

Only Debian's Chromium is used (``/usr/bin/chromium``, or ``ORCID_CHROMIUM``); Playwright's own
browser download is never needed. When no Chromium is found, :func:`chromium_path` returns None
and the caller skips with :data:`NO_CHROMIUM`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: flags for a headless Chromium on a machine without a display, GPU or outside network
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: why browser scenarios (and the requirements they check) are not checked without Chromium,
#: with how to get one: the report prints it as the reason
NO_CHROMIUM = (
    "no browser: Chromium is not installed (on Debian: apt-get install chromium; "
    "or point ORCID_CHROMIUM at a chromium binary)"
)

#: the viewport of every screenshot: ORCID asks for OAuth windows at most 500 px wide, but the
#: host pages read better wider; 1000 px prints well on A4
VIEWPORT = {"width": 1000, "height": 760}


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None when there is none on this machine."""
    configured = os.environ.get("ORCID_CHROMIUM")
    # a configured path is the only candidate: a wrong one must not silently fall back
    candidates = [configured] if configured else ["/usr/bin/chromium",
                                                  shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A started headless Chromium (a Playwright ``Browser``); closed on exit.

    Raises ``RuntimeError`` with :data:`NO_CHROMIUM` when there is no Chromium.
    """
    executable = chromium_path()
    if executable is None:
        raise RuntimeError(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    from .fixtures.emulator import chromium_trust_args

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_ARGS, *chromium_trust_args()],
            headless=True)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, path: Path, subject: str | None = None) -> Path:
    """Save a PNG of what matters on ``page`` at ``path`` (folders created): the ``subject``
    element (a CSS selector) when the page has it, else the visible window. Never the full
    page: a reviewer reads the panel or the form, not a column of white around it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if subject:
        element = page.locator(subject).first
        if element.count() and element.is_visible():
            element.screenshot(path=str(path))
            return path
    page.screenshot(path=str(path), full_page=False)
    return path


def print_pdf(html: Path, pdf: Path) -> Path:
    """``html`` printed to ``pdf`` by Chromium with the page's own print CSS (A4), since a
    review is often attached to ORCID's form as one file."""
    with launch_chromium() as browser:
        page = browser.new_page()
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.pdf(path=str(pdf), print_background=True, prefer_css_page_size=True)
    return pdf
