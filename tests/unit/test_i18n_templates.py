"""``orcid_t("a literal")`` compiled as a filter (orcid_pyramid.i18n.LiteralTexts): the same
text in every language as the ``orcid_t`` global gives, and only literals are rewritten."""

from __future__ import annotations

import pytest
from pyramid import testing
from pyramid.request import Request, apply_request_extensions

TEMPLATE = ('{{ orcid_t("Home") }}|{{ orcid_t(word) }}|{{ orcid_t("Sign out ${user}", user=u) }}'
            '|{{ orcid_t(\'Language\') }}|{{ orcid_lang() }}')


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
    return env.from_string(TEMPLATE).render(request=request, word="Home", u="ana")


def test_literals_are_compiled_to_the_filter_and_the_rest_is_left_alone(config):
    env = config.get_jinja2_environment()
    code = env.compile('{{ orcid_t("Home") }}{{ x.orcid_t("Home") }}{{ orcid_t(w) }}'
                       '{{ orcid_t("a ${v}", v=1) }}{{ orcid_t("a" ~ "b") }}', raw=True)
    assert code.count("'Home'") == 2
    assert "orcid_literal" in code
    # one literal became the filter; the method, the variable, the values and the expression
    # still call orcid_t
    assert code.count("context.call(") == 4


def test_a_literal_renders_as_the_global_does_in_spanish_and_in_english(config):
    assert _render(config, "es") == "Inicio|Inicio|Cerrar la sesión de ana|Idioma|es"
    assert _render(config, None) == "Home|Home|Sign out ana|Language|en"
    assert _render(config, "xx") == "Home|Home|Sign out ana|Language|en"  # no such catalog


def test_a_literal_outside_a_request_is_english(config):
    env = config.get_jinja2_environment()
    assert env.from_string('{{ orcid_t("Home") }}').render() == "Home"
