"""Call-log redaction: the redactor before the shortcuts vs the current one, side by side.

Bodies are bulk POSTs of 10, 100 and 1,000 works built with the project's builders (title,
two external ids, journal, description, BibTeX citation, date, URL, two contributors), as JSON
(``{"bulk": [{"work": …}]}``, written as the member API writes it) and as ORCID XML. Each
body is redacted as the client's call log does it: the client secret and the call's access
token known, ``Redactor.body(body, content_type)``. The contenders alternate, so machine
noise hits both alike; printed: the median time of each, their ratio, and whether both wrote
the same text. A last pair of rows puts a secret in every work (a ``?code=`` URL, a bearer
token, a UUID), so every pattern has to run: the shortcuts must cost nothing there.

The reference contender is the ``Redactor`` of ``orcid_pyramid/client/calllog.py`` at commit
7182a9d, copied below unchanged; it lives only here.

    .venv/bin/python benchmarks/bench_redaction.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Iterable
from typing import Any

TOKEN = "89f0181c-168b-4d7d-831c-1fdda2d7bbbb"
CLIENT_SECRET = "demo-client-secret"
SIZES = (10, 100, 1000)
KINDS = {"json": "application/vnd.orcid+json", "xml": "application/vnd.orcid+xml"}

# -- the reference: Redactor as of 7182a9d -------------------------------------------------
REDACTED = "[redacted]"
SECRET_KEYS = frozenset({"access_token", "refresh_token", "id_token", "code", "client_secret",
                         "token", "subject_token", "password"})
_KEYS = "|".join(sorted(SECRET_KEYS, key=len, reverse=True))
_FORM_FIELD = re.compile(rf"(^|[?&;])({_KEYS})=([^&#]*)")
_JSON_MEMBER = re.compile(rf'("(?:{_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*("|$)')
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_WEBHOOK_SECRET = re.compile(r"(?i)(webhook(?:/|%2F))([A-Za-z0-9_-]{16,})")


class ReferenceRedactor:
    """The previous algorithm: every pattern over every text, every JSON body parsed."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets = _usable(secrets)

    def with_secrets(self, secrets: Iterable[str | None]) -> ReferenceRedactor:
        other = ReferenceRedactor()
        other._secrets = self._secrets | _usable(secrets)
        return other

    def text(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        text = _FORM_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}", text)
        text = _JSON_MEMBER.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        text = _JWT.sub(REDACTED, text)
        text = _WEBHOOK_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        return _UUID.sub(REDACTED, text)

    def body(self, body: bytes | str | None, content_type: str | None = None) -> str | None:
        if body is None:
            return None
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        if not body:
            return ""
        if "json" in (content_type or "") or body.lstrip()[:1] in ("{", "["):
            try:
                data = json.loads(body)
            except ValueError:
                return self.text(body)
            return self.text(json.dumps(self._walk(data), ensure_ascii=False))
        return self.text(body)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (REDACTED if k in SECRET_KEYS and v not in (None, "") else self._walk(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        return value


def _usable(secrets: Iterable[str | None]) -> frozenset[str]:
    return frozenset(s for s in secrets if isinstance(s, str) and len(s) >= 6)


# -- bodies ---------------------------------------------------------------------------------
def _work(n: int, with_secrets: bool):
    from orcid_pyramid.sync.builders import ExternalId, Work
    from orcid_pyramid.sync.builders.organization import Contributor
    from orcid_pyramid.sync.builders.work import Citation

    url = f"https://example.org/papers/{n}"
    description = "A study of umbrellas left on trains, and of the people who find them. " * 3
    if with_secrets:
        url += f"?code=Ab{n:04d}x&page=2"
        description += f" Sent with Bearer {TOKEN[:-4]}{n:04d} on behalf of {TOKEN}."
    return Work(
        title=f"On the semiotics of lost umbrellas, part {n}", type="journal-article",
        external_ids=[ExternalId("doi", f"10.5555/umbrella.{n}"),
                      ExternalId("issn", "1234-5678", relationship="part-of")],
        journal_title="Journal of Umbrella Studies", short_description=description,
        citation=Citation("bibtex", f"@article{{carberry{n}, title={{Umbrellas {n}}}, "
                                    "author={Carberry, Josiah}, year={2024}}"),
        publication_date="2024-05", url=url,
        contributors=[Contributor(orcid="0000-0002-1825-0097", credit_name="Josiah Carberry",
                                  role="author", sequence="first"),
                      Contributor(credit_name=f"Coauthor {n}", role="editor",
                                  sequence="additional")],
        language_code="en", country="US")


def bulk_bodies(n: int, with_secrets: bool = False) -> dict[str, bytes]:
    """A bulk POST of ``n`` works as JSON and as XML."""
    works = [_work(i, with_secrets) for i in range(n)]
    as_json = json.dumps({"bulk": [{"work": w.to_json()} for w in works]}).encode("utf-8")
    inner = "".join(w.to_xml().decode("utf-8").split("?>", 1)[-1].strip() for w in works)
    as_xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              f'<bulk:bulk xmlns:bulk="http://www.orcid.org/ns/bulk">{inner}</bulk:bulk>')
    return {"json": as_json, "xml": as_xml.encode("utf-8")}


# -- measuring ------------------------------------------------------------------------------
def measure(old, new, body: bytes, content_type: str, seconds: float) -> dict:
    """Median ms of each contender, alternating calls for about ``seconds`` in all."""
    same = old.body(body, content_type) == new.body(body, content_type)
    started = time.perf_counter()
    new.body(body, content_type)
    once = max(time.perf_counter() - started, 1e-6)
    rounds = max(5, min(2000, int(seconds / 2 / max(once, 1e-4))))
    old_times, new_times = [], []
    for _ in range(rounds):
        for contender, times in ((old, old_times), (new, new_times)):
            started = time.perf_counter()
            contender.body(body, content_type)
            times.append(time.perf_counter() - started)
    old_ms = statistics.median(old_times) * 1000
    new_ms = statistics.median(new_times) * 1000
    return {"old_ms": old_ms, "new_ms": new_ms, "ratio": old_ms / new_ms, "rounds": rounds,
            "same": same}


def run(seconds: float) -> list[dict]:
    """Every size and format, plus the every-pattern case; returns the rows printed."""
    from orcid_pyramid.client import Redactor

    old = ReferenceRedactor([CLIENT_SECRET]).with_secrets([TOKEN])
    new = Redactor([CLIENT_SECRET]).with_secrets([TOKEN])
    cases = [(n, False) for n in SIZES] + [(100, True)]
    rows = []
    for n, with_secrets in cases:
        for kind, body in bulk_bodies(n, with_secrets).items():
            figures = measure(old, new, body, KINDS[kind], seconds)
            label = f"{n:>5} works {kind:<4}" + (" (a secret in every work)" if with_secrets
                                                  else "")
            rows.append({"label": label, "kb": len(body) / 1024, **figures})
    return rows


def main() -> None:
    """Command line: run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="time spent on each body (both contenders)")
    rows = run(parser.parse_args().seconds)
    print(f"{'body':<43} {'size':>9} {'before':>10} {'now':>10} {'ratio':>8}  same text")
    for row in rows:
        print(f"{row['label']:<43} {row['kb']:>6.0f} kB {row['old_ms']:>7.2f} ms "
              f"{row['new_ms']:>7.2f} ms {row['ratio']:>7.1f}x  "
              f"{'yes' if row['same'] else 'NO'}")


if __name__ == "__main__":
    main()
