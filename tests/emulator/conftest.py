"""Fixtures of the member API and XSD tests (``test_api_*``, ``test_xsd_*``).

``web`` is WebTest on the emulator fixture's app; ``api`` and ``other_api`` hold real tokens
from the code exchange (two member clients on the demo record); ``schemas`` is ORCID's XSDs,
or a skip with a reason when orcid-model is absent. Helpers are in ``api_helpers.py`` and
``xsd_helpers.py``.
"""

from __future__ import annotations

import pytest
from webtest import TestApp

from orcid_pyramid.compliance.schemas import missing_reason

from .api_helpers import ALL_SCOPES, OTHER_CLIENT, Api, token_for
from .xsd_helpers import Schemas, model_dir


@pytest.fixture
def web(emulator):
    """WebTest on the emulator's WSGI app (reset to the demo seed)."""
    return TestApp(emulator.app)


@pytest.fixture
def api(web, emulator):
    """The demo client with read-limited + both update scopes on the demo record."""
    return Api(web, token_for(web, emulator.control, ALL_SCOPES))


@pytest.fixture
def other_api(web, emulator):
    """A second member client with the same scopes on the same record."""
    emulator.control.add_client(client_id=OTHER_CLIENT, client_secret="other-secret",
                                name="Other member")
    return Api(web, token_for(web, emulator.control, ALL_SCOPES, OTHER_CLIENT, "other-secret"))



@pytest.fixture(scope="session")
def schemas() -> Schemas:
    """ORCID's XSDs, or a skip when orcid-model is absent."""
    folder = model_dir()
    if folder is None:
        pytest.skip(missing_reason())
    return Schemas(folder)
