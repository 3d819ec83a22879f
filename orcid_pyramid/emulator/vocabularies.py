"""ORCID's v3.0 vocabularies the emulator checks incoming items against
(orcid-facts/bodies.md#vocabularies).

Transcribed from ORCID's record_3.0 XSDs and the API's enums; ``validation.py`` uses them.
"""

from __future__ import annotations

WORK_TYPES = frozenset("""
annotation artistic-performance blog-post book-chapter book-review book cartographic-material
clinical-study conference-abstract conference-output conference-paper conference-poster
conference-presentation conference-proceedings data-management-plan data-set design
dictionary-entry disclosure dissertation-thesis edited-book encyclopedia-entry image invention
journal-article journal-issue learning-object lecture-speech license magazine-article manual
moving-image musical-composition newsletter-article newspaper-article online-resource other
patent physical-object preprint public-speech registered-copyright report research-technique
research-tool review software sound spin-off-company standards-and-policy
supervised-student-publication technical-standard test trademark transcription translation
website working-paper undefined""".split())
WORK_TYPE_ALIASES = {"article-journal": "journal-article", "chapter": "book-chapter",
                     "dataset": "data-set", "standard": "standards-and-policy"}
FUNDING_TYPES = frozenset({"grant", "contract", "award", "salary-award"})
#: peer-review-3.0.xsd, validated against orcid-model's Role and PeerReviewType
PEER_REVIEW_ROLES = frozenset({"reviewer", "editor", "member", "chair", "organizer"})
PEER_REVIEW_TYPES = frozenset({"review", "evaluation"})
RELATIONSHIPS = frozenset({"self", "part-of", "version-of", "funded-by"})
VISIBILITIES = frozenset({"public", "limited", "private", "registered-only"})
DISAMBIGUATION_SOURCES = frozenset({"RINGGOLD", "GRID", "FUNDREF", "ROR", "LEI"})
#: ORCID's identifier types for activities (legacy core set plus the common newer ones).
EXTERNAL_ID_TYPES = frozenset("""
other-id agr ark arxiv asin asin-tld authenticusid bibcode cba cienciaiul cit ctx dnb doi eid
emdb empiar ethos grant_number hal handle hir isbn ismn issn jfm jstor k10plus kuid lccn lensid
mr oclc ol osti pat pdb pmc pmid ppr proposal-id rfc rrid source-work-id ssrn swhid uri urn
wosuid zbl""".split())
CITATION_TYPES = frozenset({"bibtex", "formatted-apa", "formatted-chicago", "formatted-harvard",
                            "formatted-ieee", "formatted-mla", "formatted-vancouver",
                            "formatted-unspecified", "ris"})
WORK_ROLES = frozenset({"author", "assignee", "editor", "chair-or-translator", "co-investigator",
                        "co-inventor", "graduate-student", "other-inventor",
                        "principal-investigator", "postdoctoral-researcher", "support-staff"})
FUNDING_ROLES = frozenset({"lead", "co-lead", "supported-by", "other-contribution"})
#: ISO 639-1 style codes ORCID accepts (common-3.0.xsd ``language-code`` documentation)
LANGUAGE_CODES = frozenset("""
ab aa af ak sq am ar an hy as av ae ay az bm ba eu be bn bh bi bs br bg my ca ch ce zh_CN zh_TW
cu cv kw co cr hr cs da dv nl dz en eo et ee fo fj fi fr fy ff gl lg ka de el kl gn gu ht ha iw
hz hi ho hu is io ig in ia ie iu ik ga it ja jv kn kr ks kk km ki rw ky kv kg ko ku kj lo la lv
li ln lt lu lb mk mg ms ml mt gv mi mr mh mo mn na nv ng ne nd se no nb nn ny oc oj or om os pi
pa fa pl pt ps qu rm ro rn ru sm sg sa sc gd sr sn ii sd si sk sl so nr st es su sw ss sv tl ty
tg ta tt te th bo ti to ts tn tr tk tw ug uk ur uz ve vi vo wa cy wo xh ji yo za zu""".split())
AFFILIATIONS = ("distinction", "education", "employment", "invited-position", "membership",
                "qualification", "service")
