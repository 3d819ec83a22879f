"""Secrets from the environment: an ini value written ``env:NAME`` is read from the
environment variable ``NAME``.

Why one reader: ``pserve`` (through the demo and production apps), ``config.include
("orcid_pyramid")`` and every ``orcid-pyramid`` command must see the same settings, or
``check`` passes a file that ``pserve`` then refuses (or the other way round). Each of them
calls :func:`expand_env` before reading a setting. PasteDeploy has no interpolation from the
environment, so ``env:NAME`` is expanded here; a variable that is missing (or empty) is never
taken as a value: :class:`MissingEnvironmentError` names every missing one in one line.
``env:NAME|default`` gives the value used when ``NAME`` is unset or empty (``env:NAME|``:
optional, empty when unset, so the add-on's own default applies).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from pyramid.exceptions import ConfigurationError

ENV_PREFIX = "env:"


class MissingEnvironmentError(ConfigurationError):
    """Settings written ``env:NAME`` whose variable is not set; ``missing`` holds
    ``(setting, variable)`` pairs. The message is one line naming every variable."""

    def __init__(self, missing: list[tuple[str, str]]):
        self.missing = missing
        names = ", ".join(f"{variable or '(no name after env:)'} (for {key})"
                          for key, variable in missing)
        super().__init__(f"environment variable(s) not set: {names}")


def expand_env(settings: MutableMapping[str, object],
               environ: Mapping[str, str] | None = None) -> MutableMapping[str, object]:
    """Replace, in place, every value written ``env:NAME`` (or ``env:NAME|default``) by the
    variable ``NAME`` (or the default when it is unset).

    Returns ``settings``. Raises :class:`MissingEnvironmentError` listing every variable that
    is unset or empty; nothing is replaced then.
    """
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    missing: list[tuple[str, str]] = []
    for key, value in settings.items():
        if not isinstance(value, str) or not value.strip().startswith(ENV_PREFIX):
            continue
        variable, has_default, default = value.strip()[len(ENV_PREFIX):].partition("|")
        variable = variable.strip()
        if variable and environ.get(variable, "").strip():
            found[key] = environ[variable].strip()
        elif variable and has_default:
            found[key] = default.strip()
        else:
            missing.append((key, variable))
    if missing:
        raise MissingEnvironmentError(missing)
    settings.update(found)
    return settings
