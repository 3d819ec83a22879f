"""A tiny form-driving browser over ``requests`` for the emulator's HTML pages (tests only)."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html
import requests


class FormBrowser:
    """Follows the emulator's pages without a real browser: GET a page, submit its forms."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.page: requests.Response | None = None

    def get(self, url: str, **kwargs) -> requests.Response:
        self.page = self.session.get(url, allow_redirects=False, timeout=10, **kwargs)
        return self.page

    def doc(self):
        return lxml.html.fromstring(self.page.text)

    def has(self, element_id: str) -> bool:
        return bool(self.doc().get_element_by_id(element_id, None) is not None)

    def submit(self, form_id: str, button_id: str | None = None, **fields) -> requests.Response:
        """Fill ``fields`` (by name) into form ``form_id`` and submit it (optionally a button)."""
        form = self.doc().get_element_by_id(form_id)
        data = {i.name: i.value or "" for i in form.inputs
                if i.name and getattr(i, "type", "") not in ("submit",)
                and i.tag != "button"}
        data.update(fields)
        if button_id:
            button = self.doc().get_element_by_id(button_id)
            data[button.get("name")] = button.get("value")
        action = urljoin(self.page.url, form.action)
        self.page = self.session.post(action, data=data, allow_redirects=False, timeout=10)
        return self.page


def query_of(location: str) -> dict[str, str]:
    """The query parameters of a redirect location (single values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
