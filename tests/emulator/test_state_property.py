"""Property: random sequences of member API calls keep the record consistent (issue item 11).

Over any sequence of POST/PUT/DELETE/GET of works and an affiliation (employment), through
WebTest: put codes are unique in the record, every successful write is visible in the next
read, every DELETE is gone, and nothing answers 500.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orcid_pyramid.emulator import seed

from .wsgi import InProcess

ORCID = seed.DEMO_ORCID
TITLES = st.text(alphabet="abcdefghij XYZ", min_size=1, max_size=12).map(str.strip).filter(bool)
DOIS = st.sampled_from([f"10.5555/p{i}" for i in range(4)])


def _work(title: str, doi: str) -> dict:
    return {"title": {"title": {"value": title}}, "type": "journal-article",
            "external-ids": {"external-id": [{"external-id-type": "doi",
                                              "external-id-value": doi,
                                              "external-id-relationship": "self"}]}}


def _employment(role: str) -> dict:
    return {"role-title": role, "organization": {
        "name": "Boston University", "address": {"city": "Boston", "country": "US"},
        "disambiguated-organization": {
            "disambiguated-organization-identifier": "https://ror.org/05qwgg493",
            "disambiguation-source": "ROR"}}}


class RecordMachine(RuleBasedStateMachine):
    """The emulator's record against a model of what the client wrote."""

    def __init__(self) -> None:
        super().__init__()
        self.emu = InProcess()
        token = self.emu.token()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.works: dict[int, tuple[str, str]] = {}
        self.jobs: dict[int, str] = {}
        self.deleted: set[int] = set()

    def teardown(self) -> None:
        self.emu.close()

    def _call(self, method: str, path: str, body=None):
        url = f"/api/v3.0/{ORCID}/{path}"
        if body is None:
            answer = getattr(self.emu.web, method)(url, headers=self.headers, expect_errors=True)
        else:
            answer = getattr(self.emu.web, f"{method}_json")(url, body, headers=self.headers,
                                                             expect_errors=True)
        assert answer.status_int < 500, f"{method.upper()} {path}: {answer.status}"
        return answer

    def _new_put_code(self, answer) -> int:
        put_code = int(answer.headers["Location"].rsplit("/", 1)[1])
        assert put_code not in self.works and put_code not in self.jobs
        assert put_code not in self.deleted
        return put_code

    @rule(title=TITLES, doi=DOIS)
    def post_work(self, title, doi):
        answer = self._call("post", "work", _work(title, doi))
        if answer.status_int == 201:
            self.works[self._new_put_code(answer)] = (title, doi)
        else:
            assert answer.status_int in (400, 409)

    @precondition(lambda self: self.works)
    @rule(data=st.data(), title=TITLES)
    def put_work(self, data, title):
        put_code = data.draw(st.sampled_from(sorted(self.works)))
        doi = self.works[put_code][1]
        body = dict(_work(title, doi), **{"put-code": put_code})
        answer = self._call("put", f"work/{put_code}", body)
        assert answer.status_int == 200
        self.works[put_code] = (title, doi)

    @precondition(lambda self: self.works)
    @rule(data=st.data())
    def delete_work(self, data):
        put_code = data.draw(st.sampled_from(sorted(self.works)))
        assert self._call("delete", f"work/{put_code}").status_int == 204
        del self.works[put_code]
        self.deleted.add(put_code)

    @precondition(lambda self: self.deleted)
    @rule(data=st.data())
    def deleted_stays_gone(self, data):
        put_code = data.draw(st.sampled_from(sorted(self.deleted)))
        assert self._call("get", f"work/{put_code}").status_int == 404

    @rule(role=TITLES)
    def post_employment(self, role):
        answer = self._call("post", "employment", _employment(role))
        assert answer.status_int == 201
        self.jobs[self._new_put_code(answer)] = role

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def delete_employment(self, data):
        put_code = data.draw(st.sampled_from(sorted(self.jobs)))
        assert self._call("delete", f"employment/{put_code}").status_int == 204
        del self.jobs[put_code]
        self.deleted.add(put_code)

    @invariant()
    def works_read_back_as_written(self):
        body = self._call("get", "works").json
        seen = [(s["put-code"], s["title"]["title"]["value"])
                for group in body["group"] for s in group["work-summary"]]
        codes = [code for code, _ in seen]
        assert len(codes) == len(set(codes))
        assert dict(seen) == {code: title for code, (title, _) in self.works.items()}

    @invariant()
    def employments_read_back_as_written(self):
        body = self._call("get", "employments").json
        seen = {s["employment-summary"]["put-code"]: s["employment-summary"]["role-title"]
                for group in body["affiliation-group"] for s in group["summaries"]}
        assert seen == self.jobs


RecordMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_record_stays_consistent = RecordMachine.TestCase
