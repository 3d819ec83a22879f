"""The iD display (BP-6, CC-DISPLAY), permissions in words and safe return paths."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, FileSystemLoader

from orcid_pyramid.i18n import template_translate
from orcid_pyramid.models import OrcidLink
from orcid_pyramid.services.display import orcid_display
from orcid_pyramid.services.links import safe_next
from orcid_pyramid.settings import load_settings
from orcid_pyramid.views.panel import permissions_in_words

TEMPLATES = __import__("orcid_pyramid").__path__[0] + "/templates"


def _render(settings_dict, value, name=None):
    from functools import partial

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.globals["orcid_display"] = partial(orcid_display, load_settings(settings_dict))
    env.globals["orcid_t"] = template_translate  # no request: English, as the add-on's env
    template = env.from_string('{% from "macros.jinja2" import orcid_id %}'
                               '{{ orcid_id(value, name=name) }}')
    return template.render(value=value, name=name)


def test_macro_renders_full_format_for_an_authenticated_id():
    """BP-6: icon with alt text + full https URI as the link text, linked, with aria-label;
    production shows https://orcid.org/."""
    html = _render({"orcid.environment": "production"},
                   OrcidLink(orcid="0000-0002-1825-0097", user_id="u"), name="Josiah <C>")
    uri = "https://orcid.org/0000-0002-1825-0097"
    assert html.startswith(f'<a class="orcid-id" href="{uri}"')
    assert 'alt="ORCID iD icon"' in html
    assert html.endswith(f">{uri}</a>")
    assert 'aria-label="ORCID record of Josiah &lt;C&gt;: ' in html  # autoescaped


def test_macro_uses_the_sandbox_host_outside_production():
    """BP-6: sandbox and emulator iDs link to https://sandbox.orcid.org/."""
    html = _render({}, OrcidLink(orcid="0000-0002-1825-0097", user_id="u"))
    assert 'href="https://sandbox.orcid.org/0000-0002-1825-0097"' in html


def test_a_bare_string_never_gets_the_icon():
    """BP-6, DM-1: an iD that did not come through OAuth is plain text, no icon, no link."""
    html = _render({}, "0000-0002-1825-0097")
    assert "img" not in html and "href" not in html
    assert html == '<span class="orcid-id-unauthenticated">0000-0002-1825-0097</span>'
    assert "&lt;script&gt;" in _render({}, "<script>")


def test_icon_is_the_green_id_and_available_without_a_request():
    """The icon is ORCID green (#A6CE39) with the white iD; a data: URI outside requests."""
    shown = orcid_display(load_settings({}), None)
    assert shown.icon_src.startswith("data:image/svg+xml;base64,")
    import base64

    svg = base64.b64decode(shown.icon_src.split(",", 1)[1]).decode()
    assert 'fill="#A6CE39"' in svg and 'fill="#FFFFFF"' in svg


def test_permissions_in_words_in_a_stable_order():
    """The panel explains each granted scope; unknown scopes are listed as they are."""
    words = permissions_in_words({"/activities/update", "openid", "/odd"})
    assert words[0].startswith("confirm your ORCID iD")
    assert words[1].startswith("add and update research activities")
    assert words[-1] == "/odd"


@given(st.text(max_size=60))
def test_safe_next_only_ever_returns_a_local_path(value):
    """No open redirect: whatever comes in, the result is None or a path on this site."""
    result = safe_next(value)
    if result is not None:
        assert result.startswith("/") and not result.startswith("//")
        assert "\\" not in result and "\n" not in result and "\r" not in result
        assert not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", result)


def test_safe_next_keeps_ordinary_paths():
    """Local paths with a query string survive."""
    assert safe_next("/works?page=2") == "/works?page=2"
    assert safe_next("https://evil.example") is None

# colour contrast of orcid.css: tests/unit/test_web_styles.py (pair by pair, as rendered)
