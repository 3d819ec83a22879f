"""Audit any ORCID integration from outside: a browser, the emulator, and ORCID's checklist.

``orcid-pyramid audit`` registers the site's client in the emulator, creates a test
researcher, drives Chromium through the site's journey (:mod:`.journey`, :mod:`.drive`) and
judges each checklist line from what the emulator saw and what the pages showed
(:mod:`.verdicts`, :mod:`.verdicts_bp`). The checks are scenario records, so the report is
written by the report writer of ``orcid-pyramid report``: same files, keys and statuses.
"""

from __future__ import annotations

from collections.abc import Callable

from . import verdicts as dm
from . import verdicts_bp as bp
from .drive import Observations

#: checklist ID -> its check, for every line the audit judges from outside
CHECKS: dict[str, Callable[[Observations], dict]] = {
    "REV-1": dm.rev_1, "DM-1": dm.dm_1, "DM-2": dm.dm_2, "DM-3": dm.dm_3, "DM-6": dm.dm_6,
    "DM-8": dm.dm_8, "BP-1": bp.bp_1, "BP-2": bp.bp_2, "BP-3": bp.bp_3, "BP-4": bp.bp_4,
    "BP-5": bp.bp_5, "BP-6": bp.bp_6, "CC-AUTH": bp.cc_auth, "CC-COLLECT": bp.cc_collect,
    "CC-DISPLAY": bp.cc_display, "CC-CONNECT": bp.cc_connect, "CC-SYNC": bp.cc_sync,
}


def audit_scenarios(obs: Observations, requirements) -> list[dict]:
    """One scenario record per checklist line: judged, or not-checked with the reason."""
    records = []
    for requirement in requirements:
        judge = CHECKS.get(requirement.id)
        if judge is not None:
            records.append(judge(obs))
        elif requirement.id in dm.SHOW_INSTEAD:
            records.append(dm.not_observable(requirement.id, requirement.title))
    return records
