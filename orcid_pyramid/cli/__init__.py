"""The ``orcid-pyramid`` command line: one click group, subcommands loaded on demand.

Each subcommand lives in its own module so that ``orcid-pyramid emulator`` does not import
SQLAlchemy and ``orcid-pyramid check`` does not import the emulator.
"""

from __future__ import annotations

import importlib

import click

#: the extra each command of the other parts needs (a bare install has the add-on's only)
EXTRAS = {"emulator": "emulator", "report": "compliance", "audit": "compliance"}

# command name -> "module:attribute"
COMMANDS = {
    "emulator": "orcid_pyramid.cli.emulator:emulator",
    "initdb": "orcid_pyramid.cli.db:initdb",
    "rekey": "orcid_pyramid.cli.db:rekey",
    "check": "orcid_pyramid.cli.check:check",
    "sync": "orcid_pyramid.cli.sync:sync",
    "report": "orcid_pyramid.cli.report:report",
    "audit": "orcid_pyramid.cli.audit:audit",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when they are used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def invoke(self, ctx: click.Context):
        """Run the subcommand; a library its extra brings that is missing is named, with the
        install command, instead of a traceback."""
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            extra = EXTRAS.get(ctx.invoked_subcommand or "")
            if extra is None or (exc.name or "").startswith("orcid_pyramid"):
                raise
            raise click.ClickException(
                f"orcid-pyramid {ctx.invoked_subcommand} needs {exc.name}, which the "
                f"[{extra}] extra installs: pip install 'orcid-pyramid[{extra}]'") from None


@click.group(cls=LazyGroup)
@click.version_option(package_name="orcid-pyramid")
def main() -> None:
    """orcid-pyramid: ORCID for Pyramid sites, a local ORCID sandbox and a compliance report."""


def run() -> None:
    """The ``orcid-pyramid`` program (console script and ``python -m orcid_pyramid``): the
    process is the command's own, so its long-running commands may tune the garbage collector
    (:mod:`orcid_pyramid.gctune`); a command invoked inside another program (a test's
    ``CliRunner``) leaves that program's collector alone."""
    from orcid_pyramid import gctune

    gctune.OWN_PROCESS = True
    main()
