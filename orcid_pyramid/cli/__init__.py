"""The ``orcid-pyramid`` command line: one click group, subcommands loaded on demand.

Each subcommand lives in its own module so that ``orcid-pyramid emulator`` does not import
SQLAlchemy and ``orcid-pyramid check`` does not import the emulator.
"""

from __future__ import annotations

import importlib

import click

# command name -> "module:attribute"
COMMANDS = {
    "emulator": "orcid_pyramid.cli.emulator:emulator",
    "initdb": "orcid_pyramid.cli.db:initdb",
    "rekey": "orcid_pyramid.cli.db:rekey",
    "check": "orcid_pyramid.cli.check:check",
    "sync": "orcid_pyramid.cli.sync:sync",
    "report": "orcid_pyramid.cli.report:report",
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


@click.group(cls=LazyGroup)
@click.version_option(package_name="orcid-pyramid")
def main() -> None:
    """orcid-pyramid: ORCID for Pyramid sites, a local ORCID sandbox and a compliance report."""
