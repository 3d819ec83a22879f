"""``orcid-pyramid sync CONFIG``: drains the outbox with a summary; ``--pull`` reads changes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from orcid_pyramid.cli import main

from .sync_support import build_world, work


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def _ini(tmp_path, world) -> str:
    s = world.settings
    path = tmp_path / "site.ini"
    path.write_text(f"""[app:main]
use = call:tests.functional.sync_support:host_app
sqlalchemy.url = {s.sqlalchemy_url.replace("%", "%%")}
orcid.environment = emulator
orcid.base_url = {s.base_url}
orcid.api_url = {s.api_url}
orcid.client_id = {s.client_id}
orcid.client_secret = {s.client_secret}
orcid.token_key = {",".join(s.token_keys)}
orcid.support_email = support@example.org
orcid.rate_limit = 1000/1000
""")
    return str(path)


def test_sync_once_drains_the_outbox_and_prints_a_summary(world, emulator, tmp_path):
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(3)})
    result = CliRunner().invoke(main, ["sync", _ini(tmp_path, world), "--once"])
    assert result.exit_code == 0, result.output
    assert "posted (new)" in result.output
    assert len(world.record_items(orcid)) == 3
    row = next(line for line in result.output.splitlines() if "posted (new)" in line)
    assert "3" in row


def test_sync_pull_notices_an_item_deleted_on_orcid(world, emulator, tmp_path):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    world.emulator.control.delete_item(orcid, "work", world.record_items(orcid)[0]["put-code"])
    runner = CliRunner()
    result = runner.invoke(main, ["sync", _ini(tmp_path, world), "--once", "--pull"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines()
               if "items deleted on ORCID (pull)" in line)
    assert "1" in row


def test_sync_with_a_missing_config_says_so_without_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["sync", str(tmp_path / "nope.ini"), "--once"])
    assert result.exit_code != 0
    assert "does not exist" in result.output and "Traceback" not in result.output
