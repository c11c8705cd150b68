"""``videoclient serve``: the emulator's own command line, flags passed through untouched."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ._settings import require_emulator_packages

__all__ = ["COMMANDS"]


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
    short_help="Run a local emulator of the Videos API (see: videoclient serve --help).",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def serve(ctx: click.Context, args: Sequence[str]) -> None:
    """Run a local emulator of the Videos API: --host, --port and every emulator flag."""
    require_emulator_packages(
        "the emulator needs its packages: pip install 'videoclient[emulator]'"
    )
    from videoclient.emulator import main

    ctx.exit(main(list(args), prog="videoclient serve"))


COMMANDS = (serve,)
