"""The Work builder: ORCID's rules, its JSON, the content hash and parsing back."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orcid_pyramid.sync.builders import (
    Citation,
    Contributor,
    ExternalId,
    FuzzyDate,
    OrcidValidationError,
    Work,
)

DOI = ExternalId("doi", "10.1087/20120404", url="https://doi.org/10.1087/20120404")


def full_work(**changes) -> Work:
    values = dict(
        title="Work Title",
        type="journal-article",
        external_ids=[DOI, ExternalId("issn", "0953-1513", "part-of")],
        subtitle="Sub",
        translated_title="Titre",
        translated_title_language="fr",
        journal_title="Learned Publishing",
        short_description="About ORCID.",
        citation=Citation("bibtex", "@article{x, title={Work Title}}"),
        publication_date="2012-10-01",
        url="https://example.org/work",
        language_code="en",
        country="US",
        contributors=[
            Contributor(
                orcid="0000-0001-5109-3700",
                credit_name="Laure L. Haak",
                role="author",
                sequence="first",
            ),
            Contributor(
                credit_name="Josiah Carberry",
                role="http://credit.niso.org/contributor-roles/software/",
                sequence="additional",
            ),
        ],
    )
    values.update(changes)
    return Work(**values)


def test_minimal_work_json_is_title_type_and_self_id():
    work = Work(title="Work Title", type="journal-article", external_ids=[DOI])
    assert work.section == "work"
    assert work.to_json() == {
        "title": {"title": {"value": "Work Title"}},
        "type": "journal-article",
        "external-ids": {
            "external-id": [
                {
                    "external-id-type": "doi",
                    "external-id-value": "10.1087/20120404",
                    "external-id-url": {"value": "https://doi.org/10.1087/20120404"},
                    "external-id-relationship": "self",
                }
            ]
        },
    }


def test_full_work_json_follows_orcid_member_order_and_nesting():
    data = full_work().to_json()
    assert list(data) == [
        "title",
        "journal-title",
        "short-description",
        "citation",
        "type",
        "publication-date",
        "external-ids",
        "url",
        "contributors",
        "language-code",
        "country",
    ]
    assert data["title"] == {
        "title": {"value": "Work Title"},
        "subtitle": {"value": "Sub"},
        "translated-title": {"value": "Titre", "language-code": "fr"},
    }
    assert data["journal-title"] == {"value": "Learned Publishing"}
    assert data["citation"] == {
        "citation-type": "bibtex",
        "citation-value": "@article{x, title={Work Title}}",
    }
    assert data["country"] == {"value": "US"}
    assert data["contributors"]["contributor"][1]["contributor-attributes"] == {
        "contributor-sequence": "additional",
        "contributor-role": "http://credit.niso.org/contributor-roles/software/",
    }


def test_work_without_self_external_id_names_the_field():
    with pytest.raises(OrcidValidationError) as info:
        Work(
            title="T",
            type="book",
            external_ids=[ExternalId("isbn", "978-3-16-148410-0", "part-of")],
        )
    assert (
        str(info.value)
        == 'work.external_ids: a work needs at least one external id with relationship "self"'
    )


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(title=""), "work.title"),
        (dict(title=None), "work.title"),
        (dict(title="x" * 1001), "work.title"),
        (dict(type="blog"), "work.type"),
        (dict(external_ids=[]), "work.external_ids"),
        (
            dict(external_ids=[ExternalId("doi", "1"), ExternalId("doi", "1")]),
            "work.external_ids[1]",
        ),
        (dict(external_ids=[ExternalId("bogus", "1")]), "work.external_ids[0].type"),
        (dict(translated_title_language=None), "work.translated_title_language"),
        (dict(translated_title_language="French"), "work.translated_title_language"),
        (dict(citation=Citation("chicago-style", "x")), "work.citation.type"),
        (dict(citation=Citation("ris", "")), "work.citation.value"),
        (dict(publication_date="2021-02-30"), "work.publication_date.day"),
        (dict(publication_date="1850"), "work.publication_date.year"),
        (dict(publication_date="last year"), "work.publication_date"),
        (dict(url="www.example.org"), "work.url"),
        (
            dict(contributors=[Contributor(credit_name="X", role="writer")]),
            "work.contributors[0].role",
        ),
        (
            dict(contributors=[Contributor(credit_name="X", sequence="last")]),
            "work.contributors[0].sequence",
        ),
        (dict(language_code="english"), "work.language_code"),
        (dict(country="XX"), "work.country"),
        (dict(short_description="x" * 5001), "work.short_description"),
    ],
)
def test_work_rules(changes, field):
    with pytest.raises(OrcidValidationError) as info:
        full_work(**changes)
    assert info.value.field == field


@pytest.mark.parametrize(
    "given_type, stored",
    [
        ("article-journal", "journal-article"),
        ("chapter", "book-chapter"),
        ("dataset", "data-set"),
        ("standard", "standards-and-policy"),
        ("JOURNAL_ARTICLE", "journal-article"),
        ("dissertation", "dissertation-thesis"),
    ],
)
def test_work_type_aliases_are_stored_canonically(given_type, stored):
    assert full_work(type=given_type).type == stored


def test_citation_short_names_become_formatted_types():
    assert full_work(citation=Citation("APA", "Haak, L. (2012)")).citation.type == "formatted-apa"


def test_put_code_goes_into_json_but_not_into_hash_or_equality():
    work = full_work()
    placed = work.with_put_code(1234)
    assert placed.to_json()["put-code"] == 1234
    assert "put-code" not in work.to_json()
    assert placed == work
    assert placed.content_hash() == work.content_hash()


def test_content_hash_is_stable_and_changes_with_content():
    assert full_work().content_hash() == full_work().content_hash()
    assert len(full_work().content_hash()) == 64
    assert full_work(title="Other").content_hash() != full_work().content_hash()
    assert full_work(visibility="public").content_hash() == full_work().content_hash()


def test_bad_put_code_is_refused():
    with pytest.raises(OrcidValidationError, match="work.put_code"):
        full_work(put_code="12")


def test_from_json_round_trip_keeps_put_code_and_source():
    body = full_work().with_put_code(77).to_json()
    body["visibility"] = "limited"
    body["source"] = {
        "source-client-id": {"path": "APP-0000000000000001"},
        "source-name": {"value": "Us"},
    }
    parsed = Work.from_json(body)
    assert parsed == full_work()
    assert (parsed.put_code, parsed.visibility, parsed.source_client_id, parsed.source_name) == (
        77,
        "limited",
        "APP-0000000000000001",
        "Us",
    )


def test_from_json_is_strict_by_default_and_lenient_on_request():
    body = {"title": {"title": {"value": "Typed on ORCID"}}, "type": "book", "external-ids": None}
    with pytest.raises(OrcidValidationError, match="work.external_ids"):
        Work.from_json(body)
    kept = Work.from_json(body, strict=False)
    assert kept.title == "Typed on ORCID" and kept.external_ids == ()
    with pytest.raises(OrcidValidationError):
        kept.validate()


def test_from_json_refuses_non_objects_with_a_clear_message():
    with pytest.raises(OrcidValidationError, match="work: expected a JSON object"):
        Work.from_json(["not", "a", "work"])
    with pytest.raises(OrcidValidationError, match="is not an ORCID 3.0 work object"):
        Work.from_json({"title": "plain string"})


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        full_work().title = "changed"


_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip())


@given(
    title=_text,
    value=_text,
    year=st.integers(1900, 2100),
    month=st.none() | st.integers(1, 12),
    kind=st.sampled_from(["journal-article", "book", "software", "data-set"]),
)
def test_any_valid_work_survives_the_json_round_trip(title, value, year, month, kind):
    work = Work(
        title=title,
        type=kind,
        external_ids=[ExternalId("other-id", value)],
        publication_date=FuzzyDate(year, month),
    )
    again = Work.from_json(work.to_json())
    assert again == work
    assert again.content_hash() == work.content_hash()


def test_external_id_spelling_is_normalized_for_activities():
    work = full_work(external_ids=[ExternalId(" DOI ", " 10.1087/20120404 ", "SELF")])
    assert work.external_ids == (ExternalId("doi", "10.1087/20120404", "self"),)


def test_with_put_code_keeps_a_leniently_parsed_item_without_revalidating():
    kept = Work.from_json(
        {"title": {"title": {"value": "Typed on ORCID"}}, "type": "book"}, strict=False
    )
    placed = kept.with_put_code(55)
    assert placed.put_code == 55 and kept.put_code is None
    assert placed.to_json()["put-code"] == 55
    with pytest.raises(OrcidValidationError, match="work.put_code: 0 is not a put code"):
        kept.with_put_code(0)


def test_lenient_context_only_applies_inside_the_block():
    from orcid_pyramid.sync.builders.base import lenient

    with lenient():
        Work(title="", type="nonsense")
    with pytest.raises(OrcidValidationError):
        Work(title="", type="nonsense")


def test_a_lone_external_id_instead_of_a_list_is_a_clear_error():
    with pytest.raises(OrcidValidationError, match="work.external_ids: must be a list"):
        full_work(external_ids=DOI)


def test_control_characters_are_refused_before_they_break_the_xml():
    with pytest.raises(OrcidValidationError, match="work.title: contains control characters"):
        full_work(title="Bell\x07 title")
    assert b"line one\nline two" in full_work(short_description="line one\nline two").to_xml()
