"""``orcid-pyramid initdb CONFIG`` (Alembic upgrade head) and ``orcid-pyramid rekey CONFIG``
(re-encrypt every stored token under the newest key, in one transaction)."""

from __future__ import annotations

from dataclasses import dataclass

import click

from orcid_pyramid.crypto import TokenCipher, TokenDecryptError, TokenKeyError, generate_key


@dataclass
class RekeyResult:
    """How much ``rotate_tokens`` re-encrypted."""

    tokens: int = 0
    rows: int = 0


def encrypted_columns():
    """(model, column names) of every encrypted column; rekey walks all of them."""
    from orcid_pyramid.models import OrcidLink, OrcidPendingRevocation

    return (
        (OrcidLink, ("access_token_enc", "refresh_token_enc", "id_token_enc")),
        (OrcidPendingRevocation, ("token_enc",)),
    )


def rotate_tokens(session, cipher: TokenCipher) -> RekeyResult:
    """Re-encrypt every stored token under ``cipher``'s newest key (MultiFernet.rotate).

    Raises ``TokenDecryptError`` naming the row when a token fits none of the keys; the
    caller rolls back so that nothing changes.
    """
    from sqlalchemy import select

    result = RekeyResult()
    for model, columns in encrypted_columns():
        for row in session.scalars(select(model).order_by(model.id)):
            changed = False
            for column in columns:
                value = getattr(row, column)
                if not value:
                    continue
                try:
                    setattr(row, column, cipher.rotate(value))
                except TokenDecryptError:
                    raise TokenDecryptError(
                        f"{model.__tablename__} id={row.id} ({column}) cannot be decrypted "
                        "with any of the keys given"
                    ) from None
                result.tokens += 1
                changed = True
            result.rows += changed
    session.flush()
    return result


def _settings(config_uri: str):
    from orcid_pyramid.scripts import ScriptError, load_orcid_settings
    from orcid_pyramid.settings import SettingsError

    try:
        s = load_orcid_settings(config_uri)
    except (ScriptError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    if not s.sqlalchemy_url:
        raise click.ClickException(f"{config_uri} sets neither orcid.sqlalchemy.url nor "
                                   "sqlalchemy.url: there is no database to work on")
    return s


def _engine(s):
    from orcid_pyramid.models import get_engine

    try:
        return get_engine(s)
    except Exception as exc:  # a bad URL or a missing driver: say so, no traceback
        raise click.ClickException(f"cannot use the database URL: {exc}") from None


@click.command()
@click.argument("config_uri", metavar="CONFIG")
def initdb(config_uri: str) -> None:
    """Create or upgrade the add-on's orcid_* tables in CONFIG's database."""
    from sqlalchemy.exc import SQLAlchemyError

    from orcid_pyramid.migrations import MigrationError, ensure_head

    s = _settings(config_uri)
    engine = _engine(s)
    where = engine.url.render_as_string(hide_password=True)
    try:
        before, after = ensure_head(engine)
    except MigrationError as exc:
        raise click.ClickException(f"{where}: {exc}") from None
    except SQLAlchemyError as exc:
        raise click.ClickException(f"migrating {where} failed: {exc.orig or exc}") from None
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"{where}: orcid-pyramid tables already at revision {after}")
    else:
        click.echo(f"{where}: orcid-pyramid tables upgraded from {before or 'nothing'} "
                   f"to revision {after}")


@click.command()
@click.argument("config_uri", metavar="CONFIG")
@click.option("--new-key", metavar="KEY", help="Fernet key to encrypt under from now on.")
@click.option("--generate", is_flag=True, help="Generate the new key and print it once.")
def rekey(config_uri: str, new_key: str | None, generate: bool) -> None:
    """Re-encrypt every stored token under the newest key, in one transaction.

    Without --new-key/--generate the first key of orcid.token_key is the newest. Afterwards
    put the new key first in orcid.token_key; the old keys can then be dropped.
    """
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    if new_key and generate:
        raise click.UsageError("give --new-key or --generate, not both")
    s = _settings(config_uri)
    if generate:
        new_key = generate_key()
    keys = list(s.token_keys)
    if new_key:
        keys = [new_key] + [k for k in keys if k != new_key]
    try:
        cipher = TokenCipher(keys)
    except TokenKeyError as exc:
        raise click.ClickException(f"{exc} (orcid.token_key / --new-key)") from None
    engine = _engine(s)
    try:
        with Session(engine) as session, session.begin():
            result = rotate_tokens(session, cipher)
    except TokenDecryptError as exc:
        raise click.ClickException(
            f"{exc}; nothing was changed. Add the key it was encrypted with to "
            "orcid.token_key and run rekey again.") from None
    except SQLAlchemyError as exc:
        # exc.orig, not exc: the full message would carry the statement's parameters
        raise click.ClickException(
            f"rekey failed, nothing was changed: {exc.orig or exc}") from None
    finally:
        engine.dispose()
    click.echo(f"Re-encrypted {result.tokens} token(s) in {result.rows} row(s) under the "
               "newest key.")
    if generate:
        click.echo(f"New key (store it now, it is not shown again): {new_key}")
    if new_key:
        click.echo("Next: put the new key first in orcid.token_key (NEW,OLD...) on every "
                   "process now: until then they cannot read the re-encrypted tokens. The "
                   "order without that window: OLD,NEW, then NEW,OLD, then rekey without "
                   "--new-key (README: rotating the token key).")
