"""``orcid_t("a literal")`` compiled as a filter (orcid_pyramid.i18n.LiteralTexts): the same
text in every language as the ``orcid_t`` global gives, and only literals are rewritten."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from pyramid import testing
from pyramid.request import Request, apply_request_extensions

from orcid_pyramid.i18n import _

TEMPLATE = ('{{ orcid_t("Home") }}|{{ orcid_t(word) }}|{{ orcid_t("Sign out ${user}", user=u) }}'
            '|{{ orcid_t(\'Language\') }}|{{ orcid_lang() }}'
            '|{{ orcid_t("You allowed ${site} to", site=site) }}'
            '|{{ orcid_t("${a}", a=mark) }}|{{ orcid_t("Sign out ${user}", user=(u ~ "<")) }}')


@pytest.fixture
def config():
    config = testing.setUp(settings={})
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.include("orcid_pyramid.i18n")
    config.commit()
    yield config
    testing.tearDown()


def _render(config, locale: str | None) -> str:
    request = Request.blank("/" + (f"?_LOCALE_={locale}" if locale else ""))
    request.registry = config.registry
    apply_request_extensions(request)
    config.manager.get()["request"] = request  # orcid_lang reads the current request
    env = config.get_jinja2_environment()
    return env.from_string(TEMPLATE).render(request=request, word="Home", u="ana",
                                            site=_("the orcid-pyramid demo"),
                                            mark=Markup("<b>x</b>"))


def test_literals_are_compiled_to_the_filter_and_the_rest_is_left_alone(config):
    env = config.get_jinja2_environment()
    code = env.compile('{{ orcid_t("Home") }}{{ x.orcid_t("Home") }}{{ orcid_t(w) }}'
                       '{{ orcid_t("a ${v}", v=1) }}{{ orcid_t("a" ~ "b") }}', raw=True)
    assert code.count("'Home'") == 2
    assert "orcid_literal" in code  # the filter: called with the context, directly
    assert "(context, 'Home')" in code and "(context, 'a ${v}', v=1)" in code
    # the literal and the literal with values became the filter; the method, the variable
    # and the expression still call orcid_t
    assert code.count("context.call(") == 3


def test_a_literal_renders_as_the_global_does_in_spanish_and_in_english(config):
    values = "|<b>x</b>|"  # a Markup value stays HTML, any other value is escaped
    assert _render(config, "es") == ("Inicio|Inicio|Cerrar la sesión de ana|Idioma|es"
                                     "|Usted permitió a la demo de orcid-pyramid" + values
                                     + "Cerrar la sesión de ana&lt;")
    english = "Home|Home|Sign out ana|Language|en|You allowed the orcid-pyramid demo to"
    assert _render(config, None) == english + values + "Sign out ana&lt;"
    assert _render(config, "xx") == english + values + "Sign out ana&lt;"  # no such catalog


def test_a_literal_outside_a_request_is_english(config):
    env = config.get_jinja2_environment()
    assert env.from_string('{{ orcid_t("Home") }}').render() == "Home"
