"""``orcid-pyramid check CONFIG``: the startup lint, one line per problem (exit 1), or OK."""

from __future__ import annotations

import click


@click.command()
@click.argument("config_uri", metavar="CONFIG")
def check(config_uri: str) -> None:
    """Check the orcid.* settings in CONFIG the way the add-on does at startup."""
    from orcid_pyramid.scripts import ScriptError, load_orcid_settings
    from orcid_pyramid.settings import SettingsError, lint

    try:
        problems = lint(load_orcid_settings(config_uri, logging=False))
    except SettingsError as exc:
        problems = exc.problems
    except ScriptError as exc:
        raise click.ClickException(str(exc)) from None
    if not problems:
        click.echo("OK")
        return
    for problem in problems:
        click.echo(str(problem))
    raise SystemExit(1)
