"""The JSON <-> XML codec: XML bodies parse into the JSON shape the API stores
(orcid-facts/bodies.md).

Property test (hypothesis): any work the JSON API accepts survives JSON -> XML -> JSON.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcid_pyramid.emulator import codec

from .api_helpers import XML, work

# XML 1.0 cannot carry control characters; ORCID's values never start/end with blanks.
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=40).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(title=_TEXT, value=_TEXT, journal=_TEXT, year=st.integers(1900, 2100))
def test_work_json_to_xml_and_back_is_identity(title, value, journal, year):
    """orcid-facts/bodies.md#works: the XML written for a work parses back into the same JSON."""
    body = work(title, doi=value, **{"journal-title": {"value": journal},
                                    "publication-date": {"year": {"value": str(year)}}})
    back = codec.parse_xml(codec.to_xml(body, "work:work"), "work:work")
    assert back == body


def test_timestamps_become_xml_date_times_and_back():
    """orcid-facts/member-api.md#content-types: JSON epoch-ms objects are xs:dateTime in XML."""
    body = {"created-date": {"value": 1559917017189}, "content": "kw"}
    xml = codec.to_xml(body, "keyword:keyword")
    assert b"2019-06-07T14:16:57.189Z" in xml
    assert codec.parse_xml(xml, "keyword:keyword") == body


def test_unknown_xml_element_is_a_codec_error():
    """orcid-facts/member-api.md#validation: an element the XSD does not allow is rejected."""
    xml = (b'<keyword:keyword xmlns:keyword="http://www.orcid.org/ns/keyword">'
           b'<keyword:colour>red</keyword:colour></keyword:keyword>')
    with pytest.raises(codec.CodecError):
        codec.parse_xml(xml, "keyword:keyword")


def test_xml_put_code_and_visibility_attributes_reach_the_api(api):
    """orcid-facts/member-api.md#writes: XML carries put-code and visibility as attributes of the
    root element."""
    put_code = api.create("keywords", {"content": "first"})
    xml = (f'<keyword:keyword xmlns:keyword="http://www.orcid.org/ns/keyword" '
           f'put-code="{put_code}" visibility="public"><keyword:content>second'
           f'</keyword:content></keyword:keyword>').encode()
    answer = api.put(f"keywords/{put_code}", xml, content_type=XML)
    assert answer.json["content"] == "second" and answer.json["put-code"] == put_code


@pytest.mark.parametrize("email", [{"value": "jc@example.org"}, "jc@example.org"])
def test_contributor_email_is_a_value_object_and_a_bare_string_is_accepted(api, email):
    """orcid-facts/bodies.md#works: ``contributor-email`` is a value object in ORCID's JSON model
    (JAXB @XmlValue); orcid-model's work-full sample writes a bare string: both are stored as the
    object."""
    contributor = {"credit-name": {"value": "J. Carberry"}, "contributor-email": email}
    body = work(contributors={"contributor": [contributor]})
    put_code = api.create("work", body)
    stored = api.get(f"work/{put_code}").json["contributors"]["contributor"][0]
    assert stored["contributor-email"] == {"value": "jc@example.org"}
    xml = codec.to_xml(body, "work:work")
    assert b"<work:contributor-email>jc@example.org</work:contributor-email>" in xml
    parsed = codec.parse_xml(xml, "work:work")
    assert parsed["contributors"]["contributor"][0]["contributor-email"] == {
        "value": "jc@example.org"}
