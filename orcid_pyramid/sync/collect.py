"""Collect (CC-COLLECT): read a researcher's ORCID record into typed objects and use it.

With the user's ``/read-limited`` token a host can read the record once
(:func:`read_profile`), pre-fill its own forms from it (:func:`prefill_from_profile`) and
import works that came from other sources (:func:`import_works`), leaving out the ones this
integration wrote itself so that nothing is echoed back::

    api = client.member(link.access_token, link.orcid)
    profile = read_profile(api)
    form.update(prefill_from_profile(profile))
    for work in import_works(profile, exclude_source_client_id=client.client_id):
        host.add_publication(work)
"""

from __future__ import annotations

from typing import Any

from .builders import Work
from .collect_models import Email, OrcidProfile, WorkSummary, profile_from_record

__all__ = [
    "Email",
    "OrcidProfile",
    "WorkSummary",
    "import_works",
    "prefill_from_profile",
    "profile_from_record",
    "read_profile",
]


def read_profile(member_api: Any) -> OrcidProfile:
    """Read the whole record (one ``GET /v3.0/{orcid}/record``) into an :class:`OrcidProfile`.

    ``member_api`` is the client's ``MemberApi`` for the user's token; with ``/read-limited``
    it sees public and limited items (and, always, the items this client wrote). Client
    errors (revoked token, ORCID down) propagate as the client's own error types.
    """
    return profile_from_record(member_api.read("record"), orcid=member_api.orcid)


def prefill_from_profile(profile: OrcidProfile) -> dict:
    """Values a host can pre-fill its forms with; a value ORCID did not show is None/empty.

    Keys: ``given_names``, ``family_names``, ``email`` (primary if visible), ``keywords``
    (list of text) and ``links`` (list of ``{"name", "url"}``).
    """
    return {
        "given_names": profile.given_names,
        "family_names": profile.family_names,
        "email": profile.primary_email,
        "keywords": [keyword.content for keyword in profile.keywords if keyword.content],
        "links": [
            {"name": link.name, "url": link.url} for link in profile.researcher_urls if link.url
        ],
    }


def _preferred(group: tuple[WorkSummary, ...]) -> WorkSummary:
    # ORCID marks the user's preferred version of a grouped work with the highest
    # display index; max() keeps the first one listed when they tie.
    return max(group, key=lambda summary: summary.display_index)


def import_works(
    profile: OrcidProfile,
    *,
    exclude_source_client_id: str | None,
    member_api: Any = None,
) -> list[Work]:
    """Works on the record from other sources, one per ORCID group, for the host to import.

    A group that holds a version written by ``exclude_source_client_id`` (our own client) is
    left out entirely: the host already has that work, and importing another source's copy
    would echo it. Without ``member_api`` the works carry the summary fields (title, type,
    external ids, URL, date, journal); with it, the full works are read in bulk (≤100 per
    call). Imported works keep their source but not the put code, which only their source
    may use. They are parsed leniently: call ``validate()`` before writing one to ORCID.
    """
    chosen = []
    for group in profile.work_groups:
        if exclude_source_client_id and any(
            summary.source_client_id == exclude_source_client_id for summary in group
        ):
            continue
        chosen.append(_preferred(group))
    if member_api is None or not chosen:
        return [summary.to_work() for summary in chosen]
    with_codes = [summary for summary in chosen if summary.put_code is not None]
    full = member_api.read_works([summary.put_code for summary in with_codes])
    by_code = {}
    for summary, body in zip(with_codes, full, strict=True):
        if isinstance(body, dict) and "error" not in body:
            by_code[summary.put_code] = Work.from_json(body, strict=False).with_put_code(None)
    return [by_code.get(summary.put_code) or summary.to_work() for summary in chosen]
