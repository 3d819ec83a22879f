"""The translation catalogs are current and complete: the template holds exactly the messages
the sources use, the Spanish catalog translates every one of them (keeping each ``${…}``
marker), and the shipped ``.mo`` says what the ``.po`` says. After changing a text:
``python -m orcid_pyramid.i18n_tools extract update``, translate, ``... compile``."""

from __future__ import annotations

import gettext
import re

import pytest

pytest.importorskip("babel", reason="Babel (the i18n extra) checks the catalogs")

from babel.messages.pofile import read_po  # noqa: E402

from orcid_pyramid import i18n_tools  # noqa: E402

MARKER = re.compile(r"\$\{\w+\}")


def _ids(catalog) -> set:
    return {message.id for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted():
    return i18n_tools.extract_catalog()


def _read(path, locale=None):
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=i18n_tools.DOMAIN)


def test_the_template_holds_exactly_what_the_sources_say(extracted):
    shipped = _ids(_read(i18n_tools.POT_FILE))
    current = _ids(extracted)
    assert current - shipped == set(), "new texts: run python -m orcid_pyramid.i18n_tools extract"
    assert shipped - current == set(), "texts gone: run python -m orcid_pyramid.i18n_tools extract"


def test_extraction_finds_each_kind_of_text(extracted):
    """A negative control for the extractor: one text of each shape it promises to find."""
    ids = _ids(extracted)
    assert "Your ORCID iD" in ids  # orcid_t in a template
    assert ("${n} work imported.", "${n} works imported.") in ids  # orcid_nt
    assert "in ORCID" in ids  # _() in Python
    assert "Something went wrong with ORCID" in ids  # a render_error title
    assert "Your ORCID iD is connected." in ids  # a flash message
    assert "ORCID is busy right now. Please try again in a few minutes." in ids  # default_user_text
    assert "You chose not to give this site access to your ORCID record." in ids  # user_text()
    assert "The connection request took too long and has expired." in ids  # user_text() dict
    assert "missing" not in ids and "access_denied" not in ids  # keys and compared values


@pytest.mark.parametrize("po", i18n_tools.po_files(), ids=lambda p: p.parent.parent.name)
def test_every_message_is_translated_with_its_markers(po, extracted):
    catalog = _read(po, locale=po.parent.parent.name)
    assert _ids(catalog) == _ids(extracted), "run python -m orcid_pyramid.i18n_tools update"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.fuzzy or not all(forms):
            problems.append(f"untranslated: {message.id!r}")
            continue
        wanted = set(MARKER.findall(sources[-1]))
        for form in forms:
            if set(MARKER.findall(form)) != wanted:
                problems.append(f"markers differ: {message.id!r} -> {form!r}")
    assert problems == []


@pytest.mark.parametrize("po", i18n_tools.po_files(), ids=lambda p: p.parent.parent.name)
def test_the_compiled_catalog_matches_the_po_file(po):
    catalog = _read(po, locale=po.parent.parent.name)
    with po.with_suffix(".mo").open("rb") as compiled:
        mo = gettext.GNUTranslations(compiled)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert mo.ngettext(*message.id, 1) == message.string[0], message.id
            assert mo.ngettext(*message.id, 2) == message.string[-1], message.id
        else:
            assert mo.gettext(message.id) == message.string, \
                f"{message.id!r}: run python -m orcid_pyramid.i18n_tools compile"


def test_spanish_is_there():
    assert "es" in [p.parent.parent.name for p in i18n_tools.po_files()]
