"""The emulator's "the user edits an item" control call (``PUT /_emulator/records/{orcid}/
{section}/{put_code}``), which the pull tests use to stand for a change made on ORCID."""

from __future__ import annotations

import pytest

from orcid_pyramid.emulator.control_client import ControlError

from .sync_support import CLIENT_ID, work


@pytest.fixture
def placed(emulator):
    orcid = emulator.control.add_user("Ada", "Edits", "ada-edits@example.org", "password-123")
    put_code = emulator.control.add_item(orcid, "work", work(1).to_json(),
                                         source_client_id=CLIENT_ID)
    return orcid, put_code


def _work_of(emulator, orcid, put_code) -> dict:
    return next(w for w in emulator.control.record(orcid)["sections"]["works"]
                if w["put-code"] == put_code)


def test_editing_an_item_changes_it_and_moves_its_last_modified_date_on(emulator, placed):
    orcid, put_code = placed
    before = _work_of(emulator, orcid, put_code)
    answer = emulator.control.edit_item(orcid, "works", put_code,
                                        item=work(1, title="Renamed by the user").to_json(),
                                        visibility="limited")
    after = _work_of(emulator, orcid, put_code)
    assert answer == after
    assert after["item"]["title"]["title"]["value"] == "Renamed by the user"
    assert after["visibility"] == "limited"
    assert after["source-client-id"] == CLIENT_ID  # still the client's item
    assert after["last-modified-date"] > before["last-modified-date"]
    assert emulator.control.record(orcid)["last-modified-date"] >= after["last-modified-date"]


def test_an_edited_external_id_is_what_the_duplicate_rule_sees(emulator, placed):
    from orcid_pyramid.emulator import duplicates

    orcid, put_code = placed
    emulator.control.edit_item(orcid, "work", put_code,
                               item=work(1, doi_prefix="10.5555/other").to_json())
    record = emulator.state.record(orcid)
    old = duplicates.duplicate_keys("work", work(1).to_json())
    new = duplicates.duplicate_keys("work", work(1, doi_prefix="10.5555/other").to_json())
    assert record.find_duplicate("work", CLIENT_ID, old) is None  # the old id is free
    assert record.find_duplicate("work", CLIENT_ID, new) == put_code


@pytest.mark.parametrize("path_code,body,status", [
    ("999999", {"visibility": "limited"}, 404),
    ("abc", {"visibility": "limited"}, 400),
    (None, {}, 400),
    (None, {"visibility": "secret"}, 400),
    (None, {"item": {"title": {"title": {"value": "no type, no id"}}}}, 400),
])
def test_a_bad_edit_gets_a_clear_answer(emulator, placed, path_code, body, status):
    orcid, put_code = placed
    with pytest.raises(ControlError) as caught:
        emulator.control._call("PUT", f"records/{orcid}/work/{path_code or put_code}", body)
    assert caught.value.status == status
    assert caught.value.body["error"]
