"""``orcid-pyramid check CONFIG``: the startup lint, one line per problem (exit 1), or OK.

With ``--db`` it also connects to the database and checks the add-on's tables are at the
newest revision (what a deployment wants to know before switching traffic).
"""

from __future__ import annotations

import click


def database_problems(s) -> list:
    """Problems reaching the add-on's database or with its migration state."""
    from sqlalchemy.exc import SQLAlchemyError

    from orcid_pyramid.lint import LintProblem
    from orcid_pyramid.migrations import current_revision, head_revision
    from orcid_pyramid.models import get_engine

    if not s.sqlalchemy_url:
        return []  # the lint already names the missing URL
    try:
        engine = get_engine(s)
    except Exception as exc:  # bad URL or missing driver
        return [LintProblem("orcid.sqlalchemy.url", f"cannot be used ({exc})",
                            "write a SQLAlchemy URL such as postgresql+psycopg://host/db")]
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
    except SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        return [LintProblem("orcid.sqlalchemy.url", f"{where} cannot be reached "
                            f"({type(exc.orig or exc).__name__})",
                            "check the URL, the server and the credentials")]
    finally:
        engine.dispose()
    head = head_revision()
    if current != head:
        return [LintProblem("orcid.sqlalchemy.url", f"the orcid_* tables are at revision "
                            f"{current or 'none'}, the add-on needs {head}",
                            "run orcid-pyramid initdb CONFIG")]
    return []


def settings_help() -> str:
    """The settings table as ``--help`` shows it (click keeps a ``\\b`` paragraph as is)."""
    from orcid_pyramid.settings import SETTINGS_DOC

    lines = ["\b", "Settings (orcid.* keys of CONFIG; default in parentheses when derived):"]
    for key, default, meaning in SETTINGS_DOC:
        lines += [f"  {key} = {default}".rstrip(), f"      {meaning.replace('`', '')}"]
    return "\n".join(lines)


@click.command(epilog=settings_help())
@click.argument("config_uri", metavar="CONFIG")
@click.option("--db", is_flag=True, help="Also check the database is reachable and migrated.")
def check(config_uri: str, db: bool) -> None:
    """Check the orcid.* settings in CONFIG the way the add-on does at startup."""
    from orcid_pyramid.scripts import ScriptError, load_orcid_settings
    from orcid_pyramid.settings import SettingsError, lint

    try:
        s = load_orcid_settings(config_uri, logging=False)
    except SettingsError as exc:
        problems = exc.problems
    except ScriptError as exc:
        raise click.ClickException(str(exc)) from None
    else:
        problems = lint(s)
        if db:
            problems += database_problems(s)
    if not problems:
        click.echo("OK")
        return
    for problem in problems:
        click.echo(str(problem))
    raise SystemExit(1)
