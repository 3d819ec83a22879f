"""ORCID 3.0 controlled vocabularies used by the item builders.

The values come from ORCID's model (orcid-model ``WorkType.java``, ``CitationType``,
``FundingType``, ``Relationship``, ``common-3.0.xsd``) and its identifier registry
(``/v3.0/identifiers``). They are data, so they live apart from the builders' logic.
"""

from __future__ import annotations

import re

WORK_TYPES = frozenset(
    """
    annotation artistic-performance blog-post book-chapter book-review book
    cartographic-material clinical-study conference-abstract conference-output
    conference-paper conference-poster conference-presentation conference-proceedings
    data-management-plan data-set design dictionary-entry disclosure dissertation-thesis
    edited-book encyclopedia-entry image invention journal-article journal-issue
    learning-object lecture-speech license magazine-article manual moving-image
    musical-composition newsletter-article newspaper-article online-resource other patent
    physical-object preprint public-speech registered-copyright report research-technique
    research-tool review software sound spin-off-company standards-and-policy
    supervised-student-publication technical-standard test trademark transcription
    translation website working-paper undefined
    """.split()
)

# Input aliases ORCID accepts and stores under the canonical name; 2.x spellings
# (upper case with underscores) map onto the same names.
WORK_TYPE_ALIASES = {
    "article-journal": "journal-article",
    "chapter": "book-chapter",
    "dataset": "data-set",
    "standard": "standards-and-policy",
    "dissertation": "dissertation-thesis",
}

CITATION_TYPES = frozenset(
    """
    bibtex formatted-apa formatted-chicago formatted-harvard formatted-ieee formatted-mla
    formatted-vancouver formatted-unspecified ris
    """.split()
)

# Short names people write for the "formatted-*" citation types.
CITATION_TYPE_ALIASES = {
    name.removeprefix("formatted-"): name
    for name in CITATION_TYPES
    if name.startswith("formatted-")
}

RELATIONSHIPS = frozenset({"self", "part-of", "version-of", "funded-by"})

FUNDING_TYPES = frozenset({"grant", "contract", "award", "salary-award"})

# Peer reviews (peer-review-3.0.xsd; orcid-model's Role, PeerReviewType, PeerReviewSubjectType)
PEER_REVIEW_ROLES = frozenset({"reviewer", "editor", "member", "chair", "organizer"})
PEER_REVIEW_TYPES = frozenset({"review", "evaluation"})
PEER_REVIEW_SUBJECT_TYPES = WORK_TYPES | FUNDING_TYPES | {"research-resource-proposal",
                                                          "undefined"}

DISAMBIGUATION_SOURCES = ("ROR", "RINGGOLD", "GRID", "FUNDREF")

# Identifier forms per disambiguation source, with an example for error messages.
DISAMBIGUATED_ID_FORMS = {
    "ROR": (
        re.compile(r"https://ror\.org/0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}"),
        "https://ror.org/05qwgg493",
    ),
    "RINGGOLD": (re.compile(r"[0-9]{1,10}"), "385488"),
    "GRID": (re.compile(r"grid\.[0-9]+\.[0-9a-z]+"), "grid.5386.8"),
    "FUNDREF": (
        re.compile(r"(https?://(dx\.)?doi\.org/)?10\.13039/[0-9]+"),
        "http://dx.doi.org/10.13039/100000001",
    ),
}

CREDIT_ROLE_PREFIX = "http://credit.niso.org/contributor-roles/"
CREDIT_ROLES = frozenset(
    CREDIT_ROLE_PREFIX + name + "/"
    for name in """
    conceptualization data-curation formal-analysis funding-acquisition investigation
    methodology project-administration resources software supervision validation
    visualization writing-original-draft writing-review-editing
    """.split()
)

WORK_CONTRIBUTOR_ROLES = (
    frozenset(
        """
        author assignee editor chair-or-translator co-investigator co-inventor
        graduate-student other-inventor principal-investigator postdoctoral-researcher
        support-staff
        """.split()
    )
    | CREDIT_ROLES
)

FUNDING_CONTRIBUTOR_ROLES = (
    frozenset({"lead", "co-lead", "supported-by", "other-contribution"}) | CREDIT_ROLES
)

CONTRIBUTOR_SEQUENCES = frozenset({"first", "additional"})

VISIBILITIES = frozenset({"public", "limited", "private", "registered-only"})

# External identifier types ORCID accepts on activities (works, fundings,
# affiliations); person external identifiers use free-form type names instead.
EXTERNAL_ID_TYPES = frozenset(
    """
    agr ark arxiv asin asin-tld authenticusid bibcode cba cienciaiul cit cstr ctx dnb doi
    eid emdb empiar ethos grant_number hal handle hir isbn ismn issn jfm jstor k10plus kuid
    lccn lensid mr oclc ol osti other-id pat pdb pmc pmid ppr proposal-id rfc rrid
    source-work-id ssrn swh uri urn w3id wosuid zbl
    """.split()
)

# ISO 3166-1 alpha-2, plus XK (Kosovo), which ORCID's country list includes.
COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
    """.split()
)

# ORCID's language codes are ISO 639 codes, some with a region (zh_CN, zh_TW).
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")

CURRENCY_CODE = re.compile(r"[A-Z]{3}")

ORCID_PATH = re.compile(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]")
