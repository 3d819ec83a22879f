"""Helpers for command-line tools that read a site's ini file (``CONFIG`` arguments).

``load_app_settings`` / ``load_orcid_settings`` read settings only (fast, no app built);
``bootstrap_app`` builds the whole app for commands that need ``request.orcid_db`` and the
client, and closes it afterwards. Errors come back as :class:`ScriptError` with a message a
person can act on; the CLI prints it without a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from orcid_pyramid.settings import OrcidSettings, load_settings

#: set in ``global_config`` when an ``orcid-pyramid`` command bootstraps the app
COMMAND_OPTION = "orcid_pyramid.command"


class ScriptError(Exception):
    """A command cannot start: the message says why and what to do."""


def split_config_uri(config_uri: str) -> tuple[str, str]:
    """``"site.ini#main"`` -> ``("site.ini", "main")``; the section defaults to ``main``."""
    path, _, section = config_uri.partition("#")
    return path, section or "main"


def _check_file(config_uri: str) -> str:
    path, _ = split_config_uri(config_uri)
    if not os.path.isfile(path):
        raise ScriptError(f"config file {path!r} does not exist")
    return path


def load_app_settings(config_uri: str, *, logging: bool = True) -> dict:
    """The ``[app:…]`` settings of an ini file, ``env:NAME`` values read from the environment
    as ``pserve`` reads them, with its logging set up when asked."""
    from pyramid.paster import get_appsettings, setup_logging

    from orcid_pyramid.envsettings import MissingEnvironmentError, expand_env

    path = _check_file(config_uri)
    if logging:
        setup_logging(config_uri)
    try:
        settings = dict(get_appsettings(config_uri))
    except LookupError as exc:
        section = split_config_uri(config_uri)[1]
        raise ScriptError(f"{path} has no usable [app:{section}] section ({exc})") from None
    except (OSError, ValueError) as exc:
        raise ScriptError(f"{path} cannot be read: {exc}") from None
    try:
        return dict(expand_env(settings))
    except MissingEnvironmentError as exc:
        raise ScriptError(f"{path}: {exc}") from None


def load_orcid_settings(config_uri: str, *, logging: bool = True) -> OrcidSettings:
    """The :class:`OrcidSettings` of an ini file (``SettingsError`` when values are unusable)."""
    return load_settings(load_app_settings(config_uri, logging=logging))


@contextmanager
def bootstrap_app(config_uri: str) -> Iterator[dict]:
    """``pyramid.paster.bootstrap`` around a block: yields the env (``app``, ``registry``,
    ``request``, ...) and closes it. Use ``with env["request"].tm:`` for database work."""
    from pyramid.exceptions import ConfigurationError
    from pyramid.paster import bootstrap

    # settings first: a missing variable or file is one line, not a traceback from the app
    load_app_settings(config_uri)
    try:
        # COMMAND_OPTION tells an app factory that a command, not a server, builds it: the
        # demo then starts no background worker of its own
        env = bootstrap(config_uri, options={COMMAND_OPTION: "true"})
    except ConfigurationError as exc:
        raise ScriptError(f"the app in {config_uri} cannot start: {exc}") from None
    try:
        yield env
    finally:
        env["closer"]()
