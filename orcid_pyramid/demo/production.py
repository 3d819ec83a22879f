"""``egg:orcid-pyramid#production``: the demo site as it is deployed on a real server
(``production.ini``), e.g. the working demo on the ORCID sandbox that ORCID's review asks for
(REV-2).

What differs from the development demo, whatever the ini file says: no emulator inside, secure
cookies, HTTPS only (HSTS; plain-http requests are redirected or refused), no built-in
password (``demo.password_hash`` is required: a scrypt hash, from the environment) and nobody
reads the admin pages unless ``demo.admin_userids`` names them. Everything else is the demo's
:func:`orcid_pyramid.demo.main`, with the add-on's own lint (HTTPS URLs, the redirect URI...).
"""

from __future__ import annotations

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

#: settings the production app always runs with; an ini file that says otherwise is refused
FORCED = {"demo.embed_emulator": False, "demo.secure_cookies": True, "demo.https_only": True}


def main(global_config, **settings):
    """Build the deployed demo; :class:`ConfigurationError` names what is unsafe or missing."""
    from ..envsettings import expand_env
    from . import main as demo_main

    settings = expand_env(dict(settings))
    problems = []
    for key, wanted in FORCED.items():
        if key in settings and asbool(settings[key]) != wanted:
            problems.append(f"{key} = {settings[key]} is not allowed in production "
                            f"(remove it; it is always {str(wanted).lower()})")
        settings[key] = str(wanted).lower()
    if not (settings.get("demo.password_hash") or "").strip():
        problems.append("demo.password_hash is not set: the production app has no built-in "
                        "password (make a hash with python -m orcid_pyramid.demo.passwords)")
    if (settings.get("orcid.environment") or "sandbox").strip().lower() == "emulator":
        problems.append("orcid.environment = emulator is for development: use sandbox or "
                        "production")
    if problems:
        raise ConfigurationError("; ".join(problems))
    settings.setdefault("demo.admin_userids", "")
    settings.setdefault("demo.access_log", "true")
    return demo_main(global_config, **settings)


def paste_main(global_config, **settings):
    """The ``pserve`` entry point: what stops the start is one message, exit status 1."""
    from . import exit_on_configuration_error

    return exit_on_configuration_error(main, global_config, settings)
