"""The compliance plugin registers the fixtures tests/ and features/ share
(``orcid_pyramid.compliance.fixtures``: emulator, database, demo site)."""

pytest_plugins = ["orcid_pyramid.compliance.plugin"]
