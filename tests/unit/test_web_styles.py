"""orcid.css: AA contrast of every text colour on its background (BP-6: accessible), the red
Disconnect button, and a real font and reading width (no browser-default serif page)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

CSS = resources.files("orcid_pyramid").joinpath("static/orcid.css").read_text()


def rule(selector: str) -> dict[str, str]:
    """The declarations of the rule whose selector list is exactly ``selector``."""
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", CSS,
                                                                      flags=re.S)):
        if [s.strip() for s in selectors.split(",")] == [s.strip() for s in selector.split(",")]:
            pairs = (d.split(":", 1) for d in body.split(";") if ":" in d)
            return {k.strip(): " ".join(v.split()) for k, v in pairs}
    raise AssertionError(f"no rule {selector!r} in orcid.css")


def luminance(colour: str) -> float:
    """WCAG relative luminance of #rgb / #rrggbb."""
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_known_ratios():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#767676", "#fff") == pytest.approx(4.54, abs=0.01)  # the AA boundary grey


@pytest.mark.parametrize("selector", [
    ".orcid-button", ".orcid-danger", ".orcid-flash", ".orcid-flash-error, .orcid-error",
    ".orcid-notice", ".orcid-standalone",
])
def test_text_on_each_coloured_box_meets_aa(selector):
    declarations = rule(selector)
    assert contrast(declarations["color"], declarations["background"]) >= 4.5, declarations


def test_disconnect_is_solid_red_with_white_text_also_on_hover():
    """The intended red (#a4262c) really is the button's face, with AA text on it."""
    button, hover = rule(".orcid-danger"), rule(".orcid-danger:hover")
    assert button["background"] == "#a4262c" and button["color"] == "#fff"
    assert contrast(button["color"], button["background"]) >= 7.0
    assert contrast(button["color"], hover["background"]) >= 7.0
    red = [int(button["background"][i:i + 2], 16) for i in (1, 3, 5)]
    assert red[0] > 2 * max(red[1], red[2]), "the Disconnect button is not red"


@pytest.mark.parametrize("selector", [".orcid-id", ".orcid-muted", ".orcid-status-error"])
def test_link_and_secondary_text_on_white_meets_aa(selector):
    assert contrast(rule(selector)["color"], "#fff") >= 4.5


def test_stand_alone_page_has_a_system_font_and_a_reading_width():
    page = rule(".orcid-standalone")
    fonts = page["font-family"]
    assert fonts.startswith("system-ui") and fonts.endswith("sans-serif")
    assert page["max-width"] == "48rem" and page["margin"] == "0 auto"
    assert rule(".orcid-page")["max-width"] == "48rem"


def test_buttons_take_the_page_font_and_focus_is_visible():
    assert "font-family" in rule(".orcid-page button, .orcid-page input, .orcid-page select, "
                                 ".orcid-button, .orcid-danger")
    focus = [body for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS)
             if ".orcid-danger:focus-visible" in selectors]
    assert focus and "outline: 3px solid" in focus[0]
