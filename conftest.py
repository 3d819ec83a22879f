"""Fixtures shared by tests/ and features/, one plugin module per concern."""

pytest_plugins = [
    "tests.fixtures.emulator",
    "tests.fixtures.database",
    "tests.fixtures.app",
    "orcid_pyramid.compliance.plugin",
]
