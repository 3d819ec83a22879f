"""Redaction of URLs and bodies before they reach the call log (DM-7).

:class:`Redactor` replaces secrets with ``[redacted]``: the exact values it is told about (the
client secret; the token or code a call carries) and secrets by shape (form fields and JSON
members named like a secret, bearer tokens, JWTs, UUIDs, webhook callback tokens).

Speed: bulk bodies are large (a 100-work POST is ~140 kB of JSON) and the redaction runs for
every call, between the worker's bulk POSTs. Python's ``re`` scans such a body position by
position for a pattern without a literal start (every pattern here but the JWT one), which
cost 10-25 ms per 100 works. So each pattern runs only when a cheap substring check (done in C)
shows it could match at all: the checks are necessary conditions of a match, so skipping a
pattern never changes the result. And JSON without backslashes or secret member names is
redacted as it stands instead of being parsed and written again (see :meth:`Redactor.body`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"

#: Form fields, query parameters and JSON members whose value is always a secret.
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "client_secret",
        "token",
        "subject_token",
        "password",
    }
)

_KEYS = "|".join(sorted(SECRET_KEYS, key=len, reverse=True))
# form / query: key=value up to the next & (or end); keeps the key visible.
_FORM_FIELD = re.compile(rf"(^|[?&;])({_KEYS})=([^&#]*)")
# JSON text (also truncated JSON): "key": "value..." up to the closing quote or the end.
_JSON_MEMBER = re.compile(rf'("(?:{_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*("|$)')
# Python's repr of a dict, as Pyramid's debug logging prints a matchdict: 'key': 'value'
_REPR_MEMBER = re.compile(rf"('(?:{_KEYS})'\s*:\s*)'[^']*'")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
# UUIDs anywhere (no word boundary: a UUID can follow "%2F" inside an encoded URL).
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# a JWT (header.payload.signature, base64url, header starting with '{"')
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# the secret segment of a callback URL ".../webhook/<token>", plain or percent-encoded
_WEBHOOK_SECRET = re.compile(r"(?i)(webhook(?:/|%2F))([A-Za-z0-9_-]{16,})")

# What a text must contain for each pattern to match (substring checks run in C). A key
# that ends with another key ("access_token" with "token") needs no check of its own.
_FORM_HINTS = tuple(
    f"{key}=" for key in sorted(SECRET_KEYS)
    if not any(other != key and key.endswith(other) for other in SECRET_KEYS)
)
_JSON_HINTS = tuple(f'"{key}"' for key in sorted(SECRET_KEYS))
_REPR_HINTS = tuple(f"'{key}'" for key in sorted(SECRET_KEYS))
# Every secret key holds one of these words, so every hint above does: a text is first
# searched for the four words (once), and only the hints of the words it holds are searched
# for (a works body holds none of them, its answer only "code": 4 + 3 searches of a large
# text instead of 20)
_WORDS = ("token", "code", "secret", "password")
assert all(any(word in key for word in _WORDS) for key in SECRET_KEYS)


def _by_word(hints: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((word, tuple(h for h in hints if word in h)) for word in _WORDS
                 if any(word in h for h in hints))


_FORM_BY_WORD, _JSON_BY_WORD, _REPR_BY_WORD = (_by_word(_FORM_HINTS), _by_word(_JSON_HINTS),
                                               _by_word(_REPR_HINTS))
# the middle of a UUID; it starts with a literal, so ``re`` finds it with a fast search
_UUID_HINT = re.compile(r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-")
# Case-insensitive words are looked for in ``text.lower()``: every character ``re`` matches
# to these letters under IGNORECASE lowers to that very letter (a unit test checks all of
# Unicode), so a match implies the lowered word.
_BEARER_HINT = "bearer"
_WEBHOOK_HINT = "webhook"
# JSON's structural characters and whitespace: a known secret holding none of them, and some
# character that cannot be part of a number, can only sit inside one JSON string
_JSON_SYNTAX = frozenset('"\\{}[],: \t\r\n')
_NUMBER_CHARS = frozenset("0123456789+-.eE")


class Redactor:
    """Replaces secrets in URLs and bodies with ``[redacted]``.

    Pattern-based (secret keys, bearer tokens, UUIDs, JWTs, webhook callback tokens) plus the
    exact values it is told about (the client secret; the token or code a call carries), which
    catches secrets that have no recognisable shape.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._set_secrets(_usable(secrets))

    def _set_secrets(self, secrets: frozenset[str]) -> None:
        self._secrets = secrets
        # longest first: a secret that contains another one is replaced whole
        self._ordered = tuple(sorted(secrets, key=len, reverse=True))
        self._secrets_in_strings_only = all(_only_in_json_strings(s) for s in secrets)

    def with_secrets(self, secrets: Iterable[str | None]) -> Redactor:
        """A redactor that also knows ``secrets`` (for one call)."""
        other = Redactor()
        other._set_secrets(self._secrets | _usable(secrets))
        return other

    def text(self, text: str) -> str:
        """Redact free text (an error message, an XML body, a URL)."""
        return self._redact(text)

    def _redact(self, text: str, *, json_hints: bool | None = None,
                words: tuple[str, ...] | None = None) -> str:
        # Each step puts "[redacted]" where it removes something, and no hint holds a bracket
        # or lies within "redacted": a step never creates a hint, so a hint looked for once
        # (``json_hints`` from the caller, ``lowered``) holds for the later steps too, and the
        # secret keys' words found in the text at first (``words``) are all it can hold later.
        if words is None:
            words = _words_in(text)
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if _hinted(_FORM_BY_WORD, words, text):
            text = _FORM_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}", text)
        if json_hints if json_hints is not None else _hinted(_JSON_BY_WORD, words, text):
            text = _JSON_MEMBER.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
        if _hinted(_REPR_BY_WORD, words, text):
            text = _REPR_MEMBER.sub(lambda m: f"{m.group(1)}'{REDACTED}'", text)
        lowered = text.lower()
        if _BEARER_HINT in lowered:
            text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        if "eyJ" in text:
            text = _JWT.sub(REDACTED, text)
        if _WEBHOOK_HINT in lowered:
            text = _WEBHOOK_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        if _UUID_HINT.search(text):
            text = _UUID.sub(REDACTED, text)
        return text

    def url(self, url: str) -> str:
        """Redact a URL (query parameters by name, tokens by shape)."""
        return self.text(url)

    def body(self, body: bytes | str | None, content_type: str | None = None) -> str | None:
        """Redact a request or response body; JSON is walked member by member.

        JSON with no backslash and no member named like a secret is redacted as text, as it
        stands: its strings read exactly as they would parsed, no member needs the walk, and
        the patterns and (string-only) known secrets match inside strings alone, so parsing
        and writing it again would only change the spacing. Any other JSON is parsed, its
        secret members replaced whatever their value, and the result written out and
        redacted as text (so escaped secrets are seen unescaped).
        """
        if body is None:
            return None
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        if not body:
            return ""
        if "json" in (content_type or "") or body.lstrip()[:1] in ("{", "["):
            words = _words_in(body)
            if self._secrets_in_strings_only and "\\" not in body \
                    and not _hinted(_JSON_BY_WORD, words, body):
                return self._redact(body, json_hints=False, words=words)
            try:
                data = json.loads(body)
            except ValueError:
                return self.text(body)  # truncated or garbled: fall back to the text patterns
            return self.text(json.dumps(self._walk(data), ensure_ascii=False))
        return self.text(body)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with ``Authorization`` (and cookies) hidden."""
        hidden = {"authorization", "cookie", "set-cookie", "proxy-authorization"}
        return {k: (REDACTED if k.lower() in hidden else self.text(v)) for k, v in headers.items()}

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (REDACTED if k in SECRET_KEYS and v not in (None, "") else self._walk(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        return value


def _any_in(needles: tuple[str, ...], text: str) -> bool:
    return any(needle in text for needle in needles)


def _words_in(text: str) -> tuple[str, ...]:
    return tuple(word for word in _WORDS if word in text)


def _hinted(by_word, words: tuple[str, ...], text: str) -> bool:
    """Whether ``text`` holds a hint of ``by_word`` (``words``: the words it may hold)."""
    return any(word in words and _any_in(hints, text) for word, hints in by_word)


def _only_in_json_strings(secret: str) -> bool:
    # Written out again, JSON differs from the original only outside its strings (spacing,
    # number spelling); such a secret can only ever be found inside a string.
    # (a number may be written out as "-Infinity": 1e999)
    return (not _JSON_SYNTAX.intersection(secret) and not _NUMBER_CHARS.issuperset(secret)
            and secret not in "-Infinity")


def _usable(secrets: Iterable[str | None]) -> frozenset[str]:
    # very short values would redact innocent text; ORCID codes are 6 characters
    return frozenset(s for s in secrets if isinstance(s, str) and len(s) >= 6)
