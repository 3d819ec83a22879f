"""ORCID's own write samples (orcid-model ``record_3.0/samples/write_samples``) are accepted
by the emulator, in XML and JSON (orcid-facts/orcid-model.md).

Notes on the samples:

* ``peer-review-group-id.json`` is a group-id record (``/group-id-record``), not a peer review;
  it is not an item payload and is left out.
* ``bulk-work-3.0.json``: its second work has only a ``part-of`` ISBN; v3.0 requires a
  ``self`` external id on works (record_3.0/README.md), so that element comes back as a
  9023 error while the first is created.
* Some samples carry placeholder values the live ORCID would reject after resolving them
  (``work:doi`` as a DOI value, ``AF`` as the country of a ROR id, ``common:name`` org names);
  like ORCID's XSD, the emulator checks shape and vocabularies, not identifier resolvers, so
  they are accepted here.
"""

from __future__ import annotations

import pytest

from tests.orcid_samples import WRITE_SAMPLES

from .api_helpers import JSON, XML

NOT_PAYLOADS = {"peer-review-group-id.json"}
#: bulk sample -> {element index: the error code ORCID's rules give it}
BULK_REJECTS = {"bulk-work-3.0.json": {1: 9023}}
_PATHS = [("bulk-", "works"), ("work-", "work"), ("funding-", "funding"),
          ("peer-review-", "peer-review"), ("research-resource-", "research-resource"),
          ("researcher-url", "researcher-urls"), ("external-identifier", "external-identifiers"),
          ("other-name", "other-names"), ("keyword", "keywords"), ("address", "address"),
          ("invited-position", "invited-position")] + [
    (a, a) for a in ("distinction", "education", "employment", "membership", "qualification",
                     "service")]


def _samples() -> list[str]:
    return sorted(p.name for p in WRITE_SAMPLES.iterdir()
                  if p.suffix in (".xml", ".json") and p.name not in NOT_PAYLOADS)


def _path_for(name: str) -> str:
    return next(path for prefix, path in _PATHS if name.startswith(prefix))


@pytest.mark.parametrize("name", _samples())
def test_orcid_write_sample_is_accepted(api, schemas, name):
    """Each valid write sample POSTs: 201 (or 200 with only works for a bulk sample)."""
    body = (WRITE_SAMPLES / name).read_bytes()
    path = _path_for(name)
    content_type = XML if name.endswith(".xml") else JSON
    if path == "works":
        entries = api.post("works", body, status=200, content_type=content_type).json["bulk"]
        rejects = BULK_REJECTS.get(name, {})
        assert entries
        for index, entry in enumerate(entries):
            if index in rejects:
                assert entry["error"]["error-code"] == rejects[index]
            else:
                assert isinstance(entry["work"]["put-code"], int), entry
        return
    answer = api.post(path, body, content_type=content_type)
    put_code = int(answer.headers["Location"].rsplit("/", 1)[1])
    # what was accepted reads back as valid XML
    schemas.validate(api.get(f"{path}/{put_code}", accept=XML).body)


def test_samples_folder_has_the_expected_samples(schemas):
    """Guard: the parametrised list is not silently empty when orcid-model is present."""
    names = _samples()
    assert len(names) >= 45 and "work-simple-3.0.xml" in names
