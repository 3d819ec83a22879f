"""The compliance kit: the suite, its pytest plugin and fixtures, the report, the breakages.

``plugin`` is a pytest plugin (``-p orcid_pyramid.compliance.plugin``) that also registers the
kit's fixtures (``fixtures``: the emulator, the database, the demo site); ``features/`` holds
the ``.feature`` files and ``suite`` binds them (``pytest features/`` in a checkout imports it,
``orcid-pyramid report`` runs it from an installed package); ``checklist`` parses ORCID's review
checklist as the project writes it; ``evidence`` collects what each scenario saw; ``report``
renders ``index.html``, ``report.md`` and ``report.json`` (``target_info``: who and what
was checked); ``browser`` drives Debian's Chromium
through Playwright for the screenshots; ``breakage`` holds the deliberately broken
configurations of the demo that the meta-test runs the suite against.
"""

from pathlib import Path

#: the suite's ``.feature`` files (package data: the same files in a checkout and a wheel)
FEATURES = Path(__file__).resolve().parent / "features"
