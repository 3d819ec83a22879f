"""The content model of ORCID's v3.0 elements for ``codec.py`` (orcid-facts/bodies.md).

``TABLE`` maps every complex element the emulator reads or writes to its attributes and its
children in XSD sequence order, transcribed from ORCID's record_3.0 and summary_3.0 XSDs. A
child is ``prefix:name`` plus flags:

* ``*``  repeated (a JSON list); ``{}`` complex (its own table entry);
* ``=``  JSON wraps the text as ``{"value": ...}`` (other keys become XML attributes);
* ``~``  like ``=`` with an epoch-ms timestamp (XML ``xs:dateTime``); no flag: bare text.

Written by hand: no library maps this schema.
"""

from __future__ import annotations

from .vocabularies import AFFILIATIONS

_ITEM = "put-code visibility display-index path"
_META = "common:created-date~ common:last-modified-date~ common:source{}"
_EXT_ID = ("common:external-id-type common:external-id-value common:external-id-normalized= "
           "common:external-id-normalized-error{} common:external-id-url= "
           "common:external-id-relationship")
_ORG = "common:name common:address{} common:disambiguated-organization{}"
_DATE = "common:year= common:month= common:day="
_ID = "common:uri common:path common:host"
_AFFILIATION = (f"{_META} common:department-name common:role-title common:start-date{{}} "
                "common:end-date{} common:organization{} common:url= common:external-ids{}")
_LIST = "common:last-modified-date~ {}*{{}}"

TABLE: dict[str, tuple[str, str]] = {
    "common:source": ("", "common:source-orcid{} common:source-client-id{} common:source-name= "
                      "common:assertion-origin-orcid{} common:assertion-origin-client-id{} "
                      "common:assertion-origin-name="),
    "common:source-orcid": ("", _ID), "common:source-client-id": ("", _ID),
    "common:assertion-origin-orcid": ("", _ID), "common:assertion-origin-client-id": ("", _ID),
    "common:contributor-orcid": ("", _ID), "common:orcid-identifier": ("", _ID),
    "common:external-ids": ("", "common:external-id*{}"),
    "common:external-id": ("", _EXT_ID),
    "common:external-id-normalized-error": ("transient", "common:error-code common:error-message"),
    "common:organization": ("", _ORG),
    "common:address": ("", "common:city common:region common:country"),
    "common:disambiguated-organization": (
        "", "common:disambiguated-organization-identifier common:disambiguation-source"),
    "common:publication-date": ("", _DATE), "common:start-date": ("", _DATE),
    "common:end-date": ("", _DATE),
    # works
    "work:work": (_ITEM, f"{_META} work:title{{}} work:journal-title= work:short-description "
                  "work:citation{} work:type common:publication-date{} common:external-ids{} "
                  "common:url= work:contributors{} common:language-code common:country="),
    "work:work-summary": (_ITEM, f"{_META} work:title{{}} common:external-ids{{}} common:url= "
                          "work:type common:publication-date{} work:journal-title="),
    "work:title": ("", "common:title= common:subtitle= common:translated-title="),
    "work:citation": ("", "work:citation-type work:citation-value"),
    "work:contributors": ("", "work:contributor*{}"),
    "work:contributor": ("", "common:contributor-orcid{} work:credit-name= "
                         "work:contributor-email= work:contributor-attributes{}"),
    "work:contributor-attributes": ("", "work:contributor-sequence work:contributor-role"),
    "bulk:bulk": ("", "work:work*{} error:error*{}"),
    "error:error": ("", "error:response-code error:developer-message error:user-message "
                    "error:error-code error:more-info"),
    # fundings
    "funding:funding": (_ITEM, f"{_META} funding:type funding:organization-defined-type= "
                        "funding:title{} funding:short-description funding:amount= common:url= "
                        "common:start-date{} common:end-date{} common:external-ids{} "
                        "funding:contributors{} common:organization{}"),
    "funding:funding-summary": (_ITEM, f"{_META} funding:title{{}} common:external-ids{{}} "
                                "common:url= funding:type common:start-date{} common:end-date{} "
                                "common:organization{}"),
    "funding:title": ("", "common:title= common:translated-title="),
    "funding:contributors": ("", "funding:contributor*{}"),
    "funding:contributor": ("", "common:contributor-orcid{} funding:credit-name= "
                            "funding:contributor-email= funding:contributor-attributes{}"),
    "funding:contributor-attributes": ("", "funding:contributor-role"),
    # peer reviews
    "peer-review:peer-review": (
        _ITEM, f"{_META} peer-review:reviewer-role peer-review:review-identifiers{{}} "
        "peer-review:review-url= peer-review:review-type peer-review:review-completion-date{} "
        "peer-review:review-group-id peer-review:subject-external-identifier{} "
        "peer-review:subject-container-name= peer-review:subject-type "
        "peer-review:subject-name{} peer-review:subject-url= "
        "peer-review:convening-organization{}"),
    "peer-review:peer-review-summary": (
        _ITEM, f"{_META} peer-review:reviewer-role common:external-ids{{}} "
        "peer-review:review-url= peer-review:review-type peer-review:completion-date{} "
        "peer-review:review-group-id peer-review:convening-organization{}"),
    "peer-review:review-identifiers": ("", "common:external-id*{}"),
    "peer-review:subject-external-identifier": ("", _EXT_ID),
    "peer-review:subject-name": ("", "common:title= common:subtitle= common:translated-title="),
    "peer-review:review-completion-date": ("", _DATE),
    "peer-review:completion-date": ("", _DATE),
    "peer-review:convening-organization": ("", _ORG),
    # research resources
    "research-resource:research-resource": (
        _ITEM, f"{_META} research-resource:proposal{{}} research-resource:resource-items{{}}"),
    "research-resource:research-resource-summary": (
        _ITEM, f"{_META} research-resource:proposal{{}}"),
    "research-resource:proposal": (
        "", "research-resource:title{} research-resource:hosts{} common:external-ids{} "
        "common:start-date{} common:end-date{} common:url="),
    "research-resource:title": ("", "common:title= common:translated-title="),
    "research-resource:hosts": ("", "common:organization*{}"),
    "research-resource:resource-items": ("", "research-resource:resource-item*{}"),
    "research-resource:resource-item": (
        "", "research-resource:resource-name research-resource:resource-type "
        "research-resource:hosts{} common:external-ids{} common:url="),
    # person
    "other-name:other-name": (_ITEM, f"{_META} other-name:content"),
    "keyword:keyword": (_ITEM, f"{_META} keyword:content"),
    "researcher-url:researcher-url": (
        _ITEM, f"{_META} researcher-url:url-name researcher-url:url="),
    "external-identifier:external-identifier": (_ITEM, f"{_META} {_EXT_ID}"),
    "address:address": (_ITEM, f"{_META} address:country="),
    "email:email": (_ITEM + " verified primary", f"{_META} email:email"),
    "other-name:other-names": ("path", _LIST.format("other-name:other-name")),
    "keyword:keywords": ("path", _LIST.format("keyword:keyword")),
    "researcher-url:researcher-urls": ("path", _LIST.format("researcher-url:researcher-url")),
    "external-identifier:external-identifiers": (
        "path", _LIST.format("external-identifier:external-identifier")),
    "address:addresses": ("path", _LIST.format("address:address")),
    "email:emails": ("path", _LIST.format("email:email")),
    "person:name": ("visibility path", "common:created-date~ common:last-modified-date~ "
                    "personal-details:given-names= personal-details:family-name= "
                    "personal-details:credit-name="),
    "person:biography": ("visibility path", "common:created-date~ common:last-modified-date~ "
                         "personal-details:content"),
    "person:person": ("path", "common:last-modified-date~ person:name{} other-name:other-names{} "
                      "person:biography{} researcher-url:researcher-urls{} email:emails{} "
                      "address:addresses{} keyword:keywords{} "
                      "external-identifier:external-identifiers{}"),
    "personal-details:personal-details": (
        "path", "common:last-modified-date~ personal-details:name{} other-name:other-names{} "
        "personal-details:biography{}"),
    # activities and record
    "activities:works": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:fundings": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:peer-reviews": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:research-resources": ("path", "common:last-modified-date~ activities:group*{}"),
    "activities:group": ("", "common:last-modified-date~ common:external-ids{} "
                         "activities:peer-review-group*{} funding:funding-summary*{} "
                         "research-resource:research-resource-summary*{} work:work-summary*{}"),
    "activities:peer-review-group": ("", "common:last-modified-date~ common:external-ids{} "
                                     "peer-review:peer-review-summary*{}"),
    "activities:affiliation-group": (
        "", "common:last-modified-date~ common:external-ids{} "
        + " ".join(f"{a}:{a}-summary*{{}}" for a in AFFILIATIONS)),
    "activities:activities-summary": ("path", "common:last-modified-date~ " + " ".join(
        f"activities:{s}{{}}" for s in (
            "distinctions", "educations", "employments", "fundings", "invited-positions",
            "memberships", "peer-reviews", "qualifications", "research-resources", "services",
            "works"))),
    "record:record": ("path", "common:orcid-identifier{} preferences:preferences{} "
                      "history:history{} person:person{} activities:activities-summary{}"),
    "preferences:preferences": ("", "preferences:locale"),
    "history:history": ("visibility", "history:creation-method history:completion-date~ "
                        "history:submission-date~ common:last-modified-date~ history:claimed "
                        "common:source{} history:deactivation-date~ history:verified-email "
                        "history:verified-primary-email"),
}
# the record summary (summary_3.0, ``GET /summary``)
_BRIEF = ("summary:put-code summary:type summary:organization-name summary:role summary:url "
          "common:start-date{} common:end-date{} summary:validated")
_COUNTS = "summary:self-asserted-count summary:validated-count"
TABLE.update({
    "summary:record-summary": (
        "", "common:created-date~ common:last-modified-date~ summary:credit-name "
        "common:orcid-identifier{} summary:external-identifiers{} summary:employments{} "
        "summary:professional-activities{} summary:fundings{} summary:works{} "
        "summary:peer-reviews{} summary:education-qualifications{} "
        "summary:research-resources{} summary:email-domains{}"),
    "summary:external-identifiers": ("", "summary:external-identifier*{}"),
    "summary:external-identifier": (
        "", "summary:put-code summary:external-id-type summary:external-id-value "
        "summary:external-id-url summary:validated"),
    "summary:employments": ("", "summary:count summary:employment*{}"),
    "summary:employment": ("", _BRIEF),
    "summary:professional-activities": ("", "summary:count summary:professional-activity*{}"),
    "summary:professional-activity": ("", _BRIEF),
    "summary:education-qualifications": ("", "summary:count summary:education-qualification*{}"),
    "summary:education-qualification": ("", _BRIEF),
    "summary:fundings": ("", _COUNTS), "summary:works": ("", _COUNTS),
    "summary:research-resources": ("", _COUNTS),
    "summary:peer-reviews": (
        "", "summary:peer-review-publication-grants summary:self-asserted-count summary:total"),
    "summary:email-domains": ("", "summary:count summary:email-domain*{}"),
    "summary:email-domain": ("", "summary:value summary:verification-date "
                             "common:created-date~ common:last-modified-date~"),
})
for _a in AFFILIATIONS:
    TABLE[f"{_a}:{_a}"] = (_ITEM, _AFFILIATION)
    TABLE[f"{_a}:{_a}-summary"] = (_ITEM, _AFFILIATION)
    TABLE[f"activities:{_a}s"] = (
        "path", "common:last-modified-date~ activities:affiliation-group*{}")
# The biography and name inside personal-details use the same content as in person.
TABLE["personal-details:name"] = TABLE["person:name"]
TABLE["personal-details:biography"] = TABLE["person:biography"]
