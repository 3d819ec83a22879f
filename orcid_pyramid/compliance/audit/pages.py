"""What the audit reads off a page in the browser: iD fields, iD links and their icon, text.

Kept apart from the driving so the rules a reviewer applies by eye are in one place: an iD
field is any text input whose name, id, placeholder, label or ARIA label mentions ORCID or an
``iD`` (or holds an iD's digit pattern); a displayed iD is a link to ``https://orcid.org/…``
or ``https://sandbox.orcid.org/…`` whose text is that full URI, with ORCID's iD icon (an image
or SVG whose source, alt text or label names ORCID) inside or right before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..evidence import SECRET_KEYS, redact

#: an iD as ORCID writes it
ORCID_ID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")
#: the full iD URI the branding guidelines ask for (sandbox or production)
FULL_URI = re.compile(r"^https://(sandbox\.)?orcid\.org/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_ID_FIELD_WORDS = re.compile(r"orcid", re.IGNORECASE)
_ID_WORD = re.compile(r"(?<![A-Za-z])iD(?![A-Za-z])")

_INPUTS_JS = """() => Array.from(document.querySelectorAll('input, textarea'))
  .filter(e => !['hidden', 'submit', 'button', 'password', 'checkbox', 'radio', 'image',
                  'reset', 'file'].includes((e.type || '').toLowerCase()))
  .map(e => ({name: e.name || '', id: e.id || '', type: e.type || 'textarea',
              placeholder: e.placeholder || '', aria: e.getAttribute('aria-label') || '',
              label: (e.labels && e.labels.length) ? e.labels[0].innerText : ''}))"""

_LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => /orcid\\.org\\/\\d{4}-/.test(a.href))
  .map(a => {
    const names = el => el && ((el.getAttribute('src') || '') + ' ' +
        (el.getAttribute('alt') || '') + ' ' + (el.getAttribute('aria-label') || '') + ' ' +
        (el.querySelector && el.querySelector('title') ?
         el.querySelector('title').textContent : ''));
    const icons = Array.from(a.querySelectorAll('img, svg'));
    const before = a.previousElementSibling;
    if (before && ['IMG', 'svg'].includes(before.tagName)) icons.push(before);
    return {href: a.getAttribute('href'), text: a.innerText.trim(),
            icon: icons.some(el => /orcid/i.test(names(el) || ''))};
  })"""


@dataclass
class PageView:
    """One page of the site as the audit saw it."""

    label: str
    url: str
    status: int | None
    text: str = ""
    id_fields: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    screenshot: str | None = None

    def shows_full_id(self, orcid: str) -> bool:
        """True when a link to ``orcid``'s full https URI, with the iD icon, is on the page."""
        return any(link["icon"] and _full_uri_of(link, orcid) for link in self.links)

    def as_evidence(self) -> dict[str, Any]:
        """The page for the report (no page text: it may hold personal data)."""
        return {"page": self.label, "url": self.url, "status": self.status,
                "id_fields": self.id_fields, "orcid_links": self.links}


def _full_uri_of(link: dict[str, Any], orcid: str) -> bool:
    href = FULL_URI.match(link.get("href") or "")
    text = FULL_URI.match(link.get("text") or "")
    return bool(href and text and href.group(2) == orcid and text.group(2) == orcid)


def read_page(page: Any, label: str, status: int | None) -> PageView:
    """Read the current page: its text, the iD fields it offers and its iD links."""
    inputs = page.evaluate(_INPUTS_JS)
    return PageView(label=label, url=redact_url(page.url), status=status,
                    text=page.inner_text("body") if page.query_selector("body") else "",
                    id_fields=[i for i in inputs if is_id_field(i)],
                    links=page.evaluate(_LINKS_JS))


def is_id_field(field_info: dict[str, str]) -> bool:
    """True for an input a person could type an iD into (see the module docstring)."""
    words = " ".join(str(value) for value in field_info.values())
    return bool(_ID_FIELD_WORDS.search(words) or _ID_WORD.search(words)
                or ORCID_ID.search(words))


def redact_url(url: str) -> str:
    """``url`` with the values of secret query parameters (code, state, tokens) redacted."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(key, redact(value) if key.lower() in SECRET_KEYS else value)
             for key, value in parse_qsl(parts.query, keep_blank_values=True)]
    text = urlencode(query, safe="/:()").replace("%E2%80%A6", "…")
    return urlunsplit(parts._replace(query=text))


def query_of(url: str | None) -> dict[str, str]:
    """The query parameters of ``url`` (the last value of each), {} for None."""
    if not url:
        return {}
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
