"""``videoclient serve``: the local emulator as a click command like the others.

Its flags are the emulator's own (``python -m videoclient.emulator``), read from that
parser, so the two never drift apart. Of the shared options, ``--api-key`` is the one key
the emulator accepts, ``--local`` serves the ``--local`` emulator's jobs (and every
``--local`` command then talks to this server), ``--local-render-seconds`` is
``--render-seconds``, ``--json`` prints the address as JSON, ``--quiet`` only the base URL,
``--debug`` logs every request; ``--base-url`` makes no sense for a server and is refused.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from ._local import announce, local_data_dir, own_local_dir
from ._settings import common_options, require_emulator_packages, settings

__all__ = ["COMMANDS"]

_HINT = "the emulator needs its packages: pip install 'videoclient[emulator]'"


class _ArgparseType(click.ParamType):  # type: ignore[type-arg]
    """An argparse ``type=`` function as a click type (its message becomes click's)."""

    def __init__(self, convert: Callable[[str], Any], name: str) -> None:
        self._convert = convert
        self.name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._convert(value)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            self.fail(str(exc) or f"not a valid {self.name}: {value!r}", param, ctx)


def _emulator_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Every flag of the emulator's parser as a click option (shared ones left out)."""
    from videoclient.emulator import build_parser

    parser = build_parser()
    actions = [
        a
        for a in parser._actions  # the parser is ours: its actions are the flag table
        if a.option_strings and a.dest not in ("help", "api_key")
    ]
    for action in reversed(actions):
        help_text = (action.help or "").replace("%(default)s", str(action.default))
        if isinstance(action, argparse._StoreTrueAction):
            option = click.option(*action.option_strings, action.dest, is_flag=True, help=help_text)
        else:
            convert = action.type or str
            kind = getattr(convert, "__name__", "value").lstrip("_")
            extra: dict[str, Any] = {}
            if action.nargs == "?":  # the flag alone means its const (--gateway-quirks: all)
                extra = {"is_flag": False, "flag_value": action.const}
            option = click.option(
                *action.option_strings,
                action.dest,
                type=(
                    click.Choice(list(action.choices))
                    if action.choices is not None
                    else _ArgparseType(convert, kind)  # type: ignore[arg-type]
                ),
                default=None,
                metavar=action.metavar or action.dest.upper(),
                help=help_text,
                **extra,
            )
        fn = option(fn)
    return fn


def _defaults() -> dict[str, Any]:
    from videoclient.emulator import build_parser

    return vars(build_parser().parse_args([]))


@contextlib.contextmanager
def _local_dir(local: bool) -> Iterator[Any]:
    if not local:
        yield None
        return
    directory = local_data_dir()
    with own_local_dir(directory) as owned:
        if not owned:
            raise click.UsageError(f"a 'videoclient serve --local' already serves {directory}")
        yield directory


@click.command(short_help="Run a local emulator of the Videos API.")
@_emulator_options
@common_options
@click.pass_context
def serve(ctx: click.Context, /, **params: Any) -> None:
    """Run a local emulator of the Videos API until Ctrl+C.

    \b
    videoclient serve --port 8000 --render-seconds 1 --fault-rate 0.1
    videoclient serve --local        # the --local jobs; --local commands share it
    """
    opts = settings(ctx)
    if opts.base_url is not None:
        raise click.UsageError("serve runs a server: --base-url does not apply (use --host/--port)")
    require_emulator_packages(_HINT)
    from videoclient.emulator import EmulatorConfig, config_from_args
    from videoclient.emulator import serve as run_server

    values = _defaults()
    values.update({k: v for k, v in params.items() if v is not None})
    if opts.api_key is not None:
        values["api_key"] = opts.api_key
    if opts.local and params["render_seconds"] is None:  # as fast as the other --local jobs
        values["render_seconds"] = opts.local_render_seconds
    if opts.debug:
        values["access_log"] = True
    with _local_dir(opts.local) as directory:
        if directory is not None:
            if values["data_dir"] is not None:
                raise click.UsageError("--local keeps its jobs in its own place: drop --data-dir")
            values["data_dir"] = str(directory)
        try:
            config: EmulatorConfig = config_from_args(argparse.Namespace(**values))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        if config.access_log:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

        def started(base_url: str, azure_url: str) -> contextlib.AbstractContextManager[None]:
            if opts.json:
                doc = {"base_url": base_url, "azure_base_url": azure_url}
                click.echo(json.dumps(doc))
            elif opts.quiet:
                click.echo(base_url)
            else:
                click.echo(f"videoclient emulator serving {base_url} (Azure: {azure_url})")
                click.echo("Press Ctrl+C to stop.")
            sys.stdout.flush()
            return announce(directory, base_url) if directory else contextlib.nullcontext()

        try:
            run_server(config, started)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.UsageError(
                    f"port {config.port} on {config.host} is in use: pick another --port "
                    "(0 picks a free one)"
                ) from None
            raise click.UsageError(f"cannot serve on {config.host}:{config.port}: {exc}") from None


COMMANDS = (serve,)
