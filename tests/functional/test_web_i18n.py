"""The add-on's and the demo's pages in Spanish (issue 14): the panel, the error pages and the
admin pages render in the negotiated language with nothing left in English, the page says
``lang="es"``, and the same locale is the ``lang`` sent to ORCID."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest
from babel.messages.pofile import read_po

from orcid_pyramid import i18n_tools
from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    app_session,
    authorize_request,
    connect_via_emulator,
    csrf_token,
)

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9,en;q=0.5"}


@pytest.fixture(scope="module")
def english_texts() -> list[str]:
    """Every piece of English the catalog translates into something else (the literal parts
    around ``${…}`` markers, at least 4 letters): none of them may be left on a Spanish page."""
    path = i18n_tools.LOCALE_DIR / "es" / "LC_MESSAGES" / "orcid_pyramid.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale="es")
    texts = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in forms:
                continue  # the same in both languages ("ORCID iD", "${ms} ms")
            for part in i18n_tools_split(msgid):
                if len(part) >= 4 and not any(part in form for form in forms):
                    texts.add(part)
    return sorted(texts)


def i18n_tools_split(msgid: str) -> list[str]:
    import re

    return [p.strip(" .,:;()“”") for p in re.split(r"\$\{\w+\}", msgid) if p.strip(" .,:;()“”")]


def visible_text(html_text: str) -> str:
    """The page's text and the attributes people hear (alt, aria-label, title, data-label,
    the confirmation question)."""
    doc = lxml.html.fromstring(html_text)
    for script in doc.iter("script", "style"):
        script.drop_tree()
    parts = [doc.text_content()]
    for element in doc.iter():
        for name in ("alt", "aria-label", "title", "data-label", "data-orcid-confirm"):
            if element.get(name):
                parts.append(element.get(name))
    return " ".join(" ".join(parts).split())


def assert_spanish(response, english_texts, *expected: str) -> None:
    assert 'lang="es"' in response.text[:200]
    text = visible_text(response.text)
    for words in expected:
        assert words in text, f"{words!r} not on the page"
    left = [english for english in english_texts if english in text]
    assert left == [], f"left in English: {left}"


@pytest.fixture
def es(testapp):
    """The demo's test client, asking for Spanish like a browser set to Spanish does."""
    testapp.extra_environ.update(SPANISH)
    return testapp


def _seed_items(demo_app) -> None:
    from orcid_pyramid.models.sync import OrcidItem

    with app_session(demo_app) as session:
        now = datetime.now(UTC)
        for key, section, status, error in (
                ("w1", "work", "synced", None), ("e1", "employment", "pending", None),
                ("w2", "work", "rejected", "The title is missing."),
                ("w3", "work", "deleted_on_orcid", None)):
            session.add(OrcidItem(user_id="alice", orcid=SEED_ORCID, section=section,
                                  local_key=key, title=f"Item {key}", status=status,
                                  put_code=None, last_error=error, updated_at=now))
        session.commit()


def test_panel_in_spanish(es, demo_app, login, emulator, english_texts):
    login("alice")
    assert_spanish(es.get("/orcid/"), english_texts, "Su ORCID iD", "Conecte su ORCID iD",
                   "para que la demo de orcid-pyramid pueda mostrar su ORCID iD autenticado")
    connect_via_emulator(es, emulator)
    _seed_items(demo_app)
    panel = es.get("/orcid/")
    assert_spanish(panel, english_texts, "Nombre en ORCID", "Usted permitió a la demo de",
                   "confirmar su ORCID iD al conectarlo",
                   "Trabajo", "Empleo", "en ORCID", "pendiente de envío",
                   "rechazado por ORCID: The title is missing.", "eliminado por usted en ORCID",
                   "¿Desconectar su ORCID iD de la demo de orcid-pyramid?",
                   "Registro ORCID de Josiah Carberry")
    month = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre"][datetime.now(UTC).month - 1]
    assert f" de {month} de " in visible_text(panel.text)


def test_error_pages_in_spanish(es, login, emulator, english_texts):
    login("alice")
    auth = authorize_request(es.get("/orcid/connect").text)
    denied = es.get("/orcid/callback", {"error": "access_denied", "state": auth.state},
                    status=403)
    assert_spanish(denied, english_texts, "Ha decidido no conectar su ORCID iD",
                   "¿Tiene preguntas? Póngase en contacto con soporte en")
    stale = es.get("/orcid/callback", {"code": "x", "state": "not-ours"}, status=400)
    assert_spanish(stale, english_texts, "No pudimos conectar su ORCID iD",
                   "Si esto sigue ocurriendo, póngase en contacto con soporte")
    connect_via_emulator(es, emulator)
    no_token = es.post("/orcid/disconnect", {"csrf_token": "stale"}, status=400)
    assert_spanish(no_token, english_texts, "Su ORCID iD no se ha desconectado",
                   "Volver a su configuración de ORCID")
    assert_spanish(es.get("/no/such/page", status=404), english_texts,
                   "Página no encontrada", "Ir a la página de inicio")
    assert_spanish(es.post("/works/push", {"csrf_token": "stale"}, status=400), english_texts,
                   "Ese formulario había caducado", "Volver a sus trabajos")
    done = es.post("/orcid/disconnect", {"csrf_token": csrf_token(es.get("/orcid/").text)})
    assert_spanish(done, english_texts, "Su ORCID iD está desconectado",
                   "La demo de orcid-pyramid ya no tiene permiso")


def test_admin_pages_in_spanish(es, demo_app, login, emulator, english_texts):
    login("alice")
    connect_via_emulator(es, emulator)
    _seed_items(demo_app)
    login("admin")
    calls = es.get("/orcid/admin/calls", {"from": "yesterday"})
    assert_spanish(calls, english_texts, "Registro de llamadas a ORCID", "Cuándo (UTC)",
                   "Solicitud y respuesta", "página 1 de 1",
                   "«Desde» debe ser una fecha como 2026-01-31; se ha ignorado.")
    items = es.get("/orcid/admin/items")
    assert_spanish(items, english_texts, "Elementos en ORCID", "4 elementos; página 1 de 1.",
                   "eliminado por el investigador en ORCID", "Trabajo", "Empleo")


def test_the_english_check_finds_english(testapp, login, emulator, english_texts):
    """Negative control: the same check on the English panel finds English."""
    login("alice")
    text = visible_text(testapp.get("/orcid/").text)
    found = [english for english in english_texts if english in text]
    assert len(english_texts) > 150 and len(found) >= 10, found


def test_the_negotiated_locale_is_the_lang_sent_to_orcid(testapp, login, emulator):
    """Spanish in the browser -> lang=es at ORCID; the language switch's cookie wins over the
    browser; no preference -> the demo's English."""
    login("alice")
    assert authorize_request(testapp.get("/orcid/connect").text).params["lang"] == "en"
    spanish = authorize_request(testapp.get("/orcid/connect", extra_environ=SPANISH).text)
    assert spanish.params["lang"] == "es"
    switched = testapp.get("/language", {"lang": "en", "next": "/orcid/"})
    assert switched.status_int == 303 and switched.location.endswith("/orcid/")
    chosen = authorize_request(testapp.get("/orcid/connect", extra_environ=SPANISH).text)
    assert chosen.params["lang"] == "en"
    page = testapp.get("/orcid/", extra_environ=SPANISH)
    assert 'lang="en"' in page.text[:200] and "Your ORCID iD" in page.text


def test_an_unknown_language_falls_back_to_english(testapp, login, emulator):
    """A browser asking only for a language without a catalog gets English pages that say
    so (lang="en"), never a page that claims another language."""
    login("alice")
    page = testapp.get("/orcid/", extra_environ={"HTTP_ACCEPT_LANGUAGE": "nl"})
    assert 'lang="en"' in page.text[:200] and "Your ORCID iD" in page.text
    assert testapp.get("/language", {"lang": "xx", "next": "//evil.example"}).location \
        .endswith("/")  # unknown language ignored, foreign next refused
