"""The demo in Chromium set to Spanish (issue 14): the connected panel is in Spanish (a
screenshot for the record), and the header's language switch turns the site to English."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orcid_pyramid.compliance.browser import NO_CHROMIUM, chromium_path, launch_chromium
from orcid_pyramid.compliance.fixtures.app import DEMO_PASSWORD, connect_via_emulator

pytestmark = pytest.mark.browser


def test_panel_in_spanish_then_english_through_the_switch(testapp, demo_server, login, emulator,
                                                          tmp_path):
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)
    login("alice")
    connect_via_emulator(testapp, emulator)
    shots = Path(os.environ.get("ORCID_SCREENSHOT_DIR") or tmp_path)
    base = demo_server.base_url
    with launch_chromium() as browser:
        context = browser.new_context(locale="es-ES", viewport={"width": 1000, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto(base + "/login")
        page.get_by_label("Usuario").select_option("alice")
        page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Iniciar sesión").click()
        page.get_by_role("link", name="Configuración de ORCID").click()
        page.get_by_role("heading", name="Su ORCID iD", level=1).wait_for()
        assert page.evaluate("document.documentElement.lang") == "es"
        # the panel's script shows the disconnect form once it runs: wait for it (a bare
        # is_visible() raced the script on a loaded CI machine)
        page.get_by_role("button", name="Desconecte su ORCID iD").wait_for(state="visible")
        page.screenshot(path=str(shots / "panel-es.png"), full_page=True)

        page.get_by_role("link", name="English").click()
        page.get_by_role("heading", name="Your ORCID iD", level=1).wait_for()
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.get_by_role("link", name="Español").get_attribute("lang") == "es"
        context.close()
