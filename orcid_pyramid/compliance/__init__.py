"""The compliance suite's machinery: checklist IDs, evidence, the pytest plugin, the report.

``plugin`` is a pytest plugin (``-p orcid_pyramid.compliance.plugin``); ``checklist`` parses
ORCID's review checklist as the project writes it; ``evidence`` collects what each scenario saw;
``report`` renders ``index.html``, ``report.md`` and ``report.json``; ``browser`` drives
Debian's Chromium through Playwright for the screenshots.
"""
