"""``GET /_emulator/calls``: indexes, ``since``/``limit`` filters, the 10,000-call bound and
resets (control.py's docstring)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orcid_pyramid.emulator import seed
from orcid_pyramid.emulator.state import CALLS_KEPT, CallRecord

from .wsgi import InProcess

WORKS = f"/pub/v3.0/{seed.DEMO_ORCID}/works"


@pytest.fixture
def emu():
    handle = InProcess()
    handle.web.post("/_emulator/reset")
    yield handle
    handle.close()


def _calls(emu, query: str = "") -> dict:
    return emu.web.get(f"/_emulator/calls{query}").json


def _paths(answer: dict) -> list[str]:
    return [c["path"] for c in answer["calls"]]


def test_calls_are_numbered_from_the_reset_and_next_says_what_comes(emu):
    """Each call has an ``index``; ``next`` is the index the next call gets."""
    for _ in range(3):
        emu.web.get(WORKS, headers={"Accept": "application/json"})
    answer = _calls(emu)
    assert [c["index"] for c in answer["calls"]] == [0, 1, 2]
    assert _paths(answer) == [WORKS] * 3
    assert answer["next"] == 3
    again = _calls(emu, f"?since={answer['next']}")
    assert [(c["index"], c["path"]) for c in again["calls"]] == [(3, "/_emulator/calls")]


def test_since_an_index_and_limit_page_through_the_log(emu):
    """``since=N`` starts at index N; ``limit=M`` keeps the oldest M of those."""
    for n in range(5):
        emu.web.get(f"/_emulator/records/{seed.DEMO_ORCID}?n={n}")
    page = _calls(emu, "?since=1&limit=2")
    assert [c["index"] for c in page["calls"]] == [1, 2]
    rest = _calls(emu, "?since=3&limit=100")
    # 0-4 the record reads, 5 the first calls GET (a GET is listed from the next one on)
    assert [c["index"] for c in rest["calls"]] == [3, 4, 5]
    assert _calls(emu, "?limit=0")["calls"] == []


def test_since_a_time_keeps_calls_from_that_time_on(emu):
    """``since`` as epoch seconds or ISO 8601 selects by the call's ``time``."""
    emu.web.get(WORKS, status="*")
    emu.web.get(WORKS, status="*")
    calls = _calls(emu)["calls"]
    second = calls[1]["time"]
    by_float = _calls(emu, f"?since={second!r}")["calls"]
    assert by_float and all(c["time"] >= second for c in by_float)
    assert 1 in [c["index"] for c in by_float]
    iso = datetime.fromtimestamp(calls[0]["time"] - 1, UTC).isoformat().replace("+00:00", "Z")
    by_iso = _calls(emu, f"?since={iso}")["calls"]
    assert [c["index"] for c in by_iso][:2] == [0, 1]
    later = datetime.fromtimestamp(calls[-1]["time"] + 3600, UTC).isoformat()
    assert _calls(emu, f"?since={later.replace('+', '%2B')}")["calls"] == []


@pytest.mark.parametrize("query, message", [
    ("?since=yesterday", "'since' must be"),
    ("?since=2026-01-01T00:00:00", "time zone"),
    ("?limit=-1", "'limit' must be a whole number"),
    ("?limit=ten", "'limit' must be a whole number"),
])
def test_bad_filters_are_a_clear_400(emu, query, message):
    """Bad ``since``/``limit`` answer 400 with a reason."""
    answer = emu.web.get(f"/_emulator/calls{query}", status=400)
    assert message in answer.json["error"]


def test_only_the_newest_calls_are_kept(emu):
    """The log is bounded: the newest CALLS_KEPT calls stay, indexes keep counting."""
    state = emu.state
    for n in range(CALLS_KEPT + 5):
        state.record_call(CallRecord(method="GET", path=f"/x/{n}", query="", host="root",
                                     status=200, time=state.now(),
                                     generation=state.generation))
    answer = _calls(emu, f"?since=0&limit={CALLS_KEPT}")
    assert len(answer["calls"]) == CALLS_KEPT
    assert answer["calls"][0]["index"] == 5 and answer["calls"][0]["path"] == "/x/5"
    assert answer["next"] == CALLS_KEPT + 5  # the GET itself is recorded once it is done


def test_a_request_begun_before_a_reset_is_not_listed_after_it(emu):
    """The reset call itself began before the reset: it is not in the fresh log; a call that
    began before and finishes after a reset is dropped the same way (generation counter)."""
    emu.web.get(WORKS, status="*")
    emu.web.post("/_emulator/reset")
    assert _calls(emu)["calls"] == []
    state = emu.state
    begun = CallRecord(method="GET", path="/slow", query="", host="api", status=200,
                       time=state.now(), generation=state.generation)
    emu.app.reset()
    state.record_call(begun)
    assert "/slow" not in _paths(_calls(emu))


def test_control_client_filters_calls_on_a_live_emulator(emulator):
    """``EmulatorControl.calls(since, limit)`` and ``calls_page``; the old ``calls(start)``
    pattern (start = how many calls so far) keeps working."""
    control = emulator.control
    start = len(control.calls())  # this GET gets index ``start``
    control.clients()
    control.clients()
    assert [c["path"] for c in control.calls(start)][:3] == [
        "/_emulator/calls", "/_emulator/clients", "/_emulator/clients"]
    assert [c["index"] for c in control.calls(start, limit=1)] == [start]
    page = control.calls_page(start + 1)
    assert [c["index"] for c in page["calls"]][0] == start + 1
    assert page["next"] == page["calls"][-1]["index"] + 1
    first_time = control.calls(start)[0]["time"]
    assert all(c["time"] >= first_time for c in control.calls(float(first_time)))


def test_a_call_ends_in_the_log_before_its_answer_reaches_the_client():
    """``time`` + ``duration_ms`` never lies after the moment the client holds the answer.

    The one-writer test checks overlaps with exactly these two fields. The clock here takes
    5 ms to answer, as a thread does that loses the interpreter between reading the two
    clocks: a ``time`` read after the duration's start would push each call's end past its
    answer, and back-to-back calls from one client would look as if they overlapped."""
    import time

    def slow_clock() -> float:
        time.sleep(0.005)
        return time.time()

    emu = InProcess(clock=slow_clock)
    try:
        late = []
        for _ in range(5):
            asked = time.time()
            emu.web.get(WORKS, headers={"Accept": "application/json"})
            answered = time.time()
            call = _calls(emu)["calls"][-1]
            assert call["path"] == WORKS
            end = call["time"] + call["duration_ms"] / 1000.0
            if not asked <= call["time"] <= end <= answered:
                late.append((asked, call["time"], end, answered))
        assert late == []
    finally:
        emu.close()
