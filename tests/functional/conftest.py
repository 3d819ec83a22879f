"""Fixtures shared by the functional tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def pg_url(fresh_db_url):
    """The fresh database's URL, for tests that need PostgreSQL (several workers, processes
    or threads on one database); skipped on SQLite."""
    if not fresh_db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: set ORCID_PYRAMID_TEST_DATABASE_URL (CI does)")
    return fresh_db_url
