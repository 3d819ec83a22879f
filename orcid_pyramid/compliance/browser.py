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

NO_CHROMIUM = (
    "no Chromium found (install Debian's package: apt-get install -y chromium, "
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


def screenshot(page: Any, path: Path) -> Path:
    """Save a full-page PNG of ``page`` at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
