"""The ``videoclient`` command group: shared options, commands, errors and exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from videoclient import __version__

from . import _errors as codes
from ._output import Output
from ._settings import common_options, settings

__all__ = ["cli", "run"]


class _Group(click.Group):
    """Turns every failure of a command into one line on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("videoclient: interrupted", err=True)
            ctx.exit(codes.INTERRUPTED)
        except Exception as exc:
            opts = settings(ctx)
            if opts.debug:
                traceback.print_exc(file=sys.stderr)
            code, message, details = codes.describe(exc)
            Output(opts).error(message, details)
            ctx.exit(code)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="videoclient")
@common_options
def cli() -> None:
    """Generate videos with any OpenAI-compatible Videos API (/v1/videos).

    Try it without a key: videoclient generate --local "a paper boat" -o demo.mp4

    Exit codes: 0 ok, 1 a job failed or timed out, 2 usage, 3 API error.
    """


def _register() -> None:
    from ._batch import COMMANDS as batch
    from ._jobs import COMMANDS as jobs
    from ._serve import COMMANDS as serve
    from ._transfer import COMMANDS as transfer

    for command in (*jobs, *transfer, *batch, *serve):
        cli.add_command(command)


_register()


def run(argv: Sequence[str] | None) -> int:
    """Run :data:`cli`; return its exit code instead of exiting."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="videoclient")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 0  # pragma: no cover - click always exits in standalone mode
