"""The ``videoclient`` command group: shared options, commands, errors and exit codes."""

from __future__ import annotations

import difflib
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from videoclient import NotFoundError, __version__

from . import _errors as codes
from ._output import Output
from ._settings import Settings, common_options, settings

__all__ = ["cli", "run"]


def _wants_json(args: Sequence[str]) -> bool:
    """Whether ``--json`` was given (before a ``--`` that ends the options)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def _closest(exc: click.ClickException) -> click.ClickException:
    """An unknown option's one closest match (click offers every fairly close one)."""
    if isinstance(exc, click.NoSuchOption) and exc.possibilities and len(exc.possibilities) > 1:
        best = difflib.get_close_matches(exc.option_name, exc.possibilities, n=1)
        return click.NoSuchOption(exc.option_name, possibilities=best, ctx=exc.ctx)
    return exc


def _usage_error(exc: click.ClickException, args: Sequence[str]) -> int:
    """Show a usage error: click's text, or one JSON document on stderr under ``--json``."""
    exc = _closest(exc)
    if not _wants_json(args):
        exc.show()
        return exc.exit_code
    ctx = getattr(exc, "ctx", None)
    details: dict[str, Any] = {"type": type(exc).__name__}
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        details["param"] = exc.param.opts[0] if exc.param.opts else exc.param.name
    if ctx is not None:
        details["usage"] = ctx.get_usage().removeprefix("Usage: ")
    Output(Settings(json=True)).error(exc.format_message(), details)
    return exc.exit_code


def _interrupted(opts: Settings) -> None:
    if opts.json:
        Output(opts).error("interrupted", {"type": "KeyboardInterrupt"})
    else:
        click.echo("videoclient: interrupted", err=True)


class _Group(click.Group):
    """Turns every failure of a command into one line on stderr and an exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the group; usage errors are shown here, as JSON under ``--json``."""
        argv = list(args) if args is not None else sys.argv[1:]
        extra.setdefault("obj", Settings(argv=tuple(argv)))
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else codes.OK
        except click.ClickException as exc:
            code = _usage_error(exc, argv)
        except click.Abort:
            _interrupted(Settings(json=_wants_json(argv)))
            code = codes.INTERRUPTED
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _interrupted(settings(ctx))
            ctx.exit(codes.INTERRUPTED)
        except Exception as exc:
            opts = settings(ctx)
            if opts.debug:
                traceback.print_exc(file=sys.stderr)
            code, message, details = codes.describe(exc)
            if code == codes.USAGE:
                message = codes.in_flags(message, self._flags(ctx, opts))
            elif opts.local and isinstance(exc, NotFoundError) and exc.code == "video_not_found":
                from ._local import local_data_dir

                message += (
                    f"; the local emulator (kept in {local_data_dir()}) never made it: "
                    "an id from another server is not known to --local"
                )
            Output(opts).error(message, details)
            ctx.exit(code)

    def _flags(self, ctx: click.Context, opts: Settings) -> dict[str, str]:
        name = ctx.invoked_subcommand
        command = self.get_command(ctx, name) if name else None
        return codes.flag_names(command.params if command else [], opts.argv)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="videoclient")
@common_options
def cli() -> None:
    """Generate videos with any OpenAI-compatible Videos API (/v1/videos).

    Try it without a key: videoclient generate --local "a paper boat" -o demo.mp4

    Exit codes: 0 ok, 1 a job failed or timed out, 2 usage, 3 API error, 130 interrupted.
    """


def _register() -> None:
    from ._batch import COMMANDS as batch
    from ._gallery import COMMANDS as gallery
    from ._jobs import COMMANDS as jobs
    from ._serve import COMMANDS as serve
    from ._transfer import COMMANDS as transfer

    for command in (*jobs, *transfer, *batch, *gallery, *serve):
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
