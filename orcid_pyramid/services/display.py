"""The iD display (BP-6, CC-DISPLAY): what the ``orcid_id`` macro shows for a value.

Only an :class:`~orcid_pyramid.models.OrcidLink` (an iD that came from a token response, DM-1)
is shown as authenticated: icon + full URI, linked. Any other value (a typed or imported string)
is shown as plain text without the icon, as ORCID's display guidelines require.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import partial
from importlib import resources

ORCID_PATTERN = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
ICON_SPEC = "orcid_pyramid:static/orcid-id.svg"


@dataclass(frozen=True)
class Shown:
    """What a template needs to render one iD."""

    authenticated: bool
    url: str | None = None
    text: str = ""
    icon_src: str = ""


def is_authenticated_link(value) -> bool:
    """True for a stored link row: the only kind of iD that was collected through OAuth."""
    from ..models import OrcidLink

    return isinstance(value, OrcidLink) and bool(ORCID_PATTERN.match(value.orcid or ""))


def icon_src(request=None) -> str:
    """URL of the green iD icon; a data: URI when no request is around (e-mails, scripts)."""
    if request is None:
        from pyramid.threadlocal import get_current_request

        request = get_current_request()
    if request is not None:
        try:
            return request.static_url(ICON_SPEC)
        except (ValueError, KeyError, AttributeError):
            pass  # static view not registered in this app: fall through to the inline icon
    svg = resources.files("orcid_pyramid").joinpath("static/orcid-id.svg").read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def orcid_display(settings, value) -> Shown:
    """Describe how ``value`` is displayed; see the module docstring."""
    if value is None:
        return Shown(authenticated=False, icon_src=icon_src())
    if is_authenticated_link(value):
        return Shown(authenticated=True, url=settings.id_uri(value.orcid), text=value.orcid,
                     icon_src=icon_src())
    return Shown(authenticated=False, text=str(value))


#: the add-on's own stand-alone page, extended when the host names no base template
DEFAULT_LAYOUT = "orcid_pyramid:templates/page.jinja2"


def install_jinja2_globals(config, settings) -> None:
    """Make ``orcid_display`` (imported macros see globals but not the caller's context) and
    ``orcid_layout`` (the base template ``layout.jinja2`` extends: ``orcid.layout`` or the
    add-on's own page) globals of the ``.jinja2`` environment."""

    def register() -> None:
        env = config.get_jinja2_environment()
        if env is not None:
            env.globals["orcid_display"] = partial(orcid_display, settings)
            env.globals["orcid_layout"] = settings.layout or DEFAULT_LAYOUT

    # 999: after pyramid_jinja2 built the environment (its documented hook order)
    config.action(None, register, order=999)
