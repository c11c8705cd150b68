"""The emulator's command line: ``videoclient serve`` and ``python -m videoclient.emulator``.

Every flag maps to a field of :class:`~videoclient.emulator.EmulatorConfig`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import importlib.util
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence

from ._config import (
    FAULT_KINDS,
    GATEWAY_ERROR_SHAPES,
    GATEWAY_QUIRKS,
    EmulatorConfig,
    gateway_quirks,
)

__all__ = ["INSTALL_HINT", "build_parser", "config_from_args", "main", "missing_packages", "serve"]


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _kinds(text: str) -> frozenset[str]:
    kinds = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = kinds - FAULT_KINDS
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault kinds {sorted(unknown)}; choose from {sorted(FAULT_KINDS)}"
        )
    return kinds


def _quirks(text: str) -> frozenset[str]:
    try:
        return gateway_quirks(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser(prog: str = "videoclient serve") -> argparse.ArgumentParser:
    """The argument parser for ``videoclient serve``."""
    d = EmulatorConfig()
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run a local emulator of the Videos API (/v1/videos).",
    )
    a = p.add_argument
    a("--host", default=d.host, help="interface to listen on (default: %(default)s)")
    a("--port", type=int, default=8000, help="port; 0 picks a free one (default: %(default)s)")
    a(
        "--render-seconds",
        type=float,
        default=d.render_seconds,
        metavar="S",
        help="how long a job takes from creation to its end (default: %(default)s)",
    )
    a("--api-key", default=None, metavar="KEY", help="accept only this key (default: any key)")
    a(
        "--redirect-content",
        action="store_true",
        help="answer content downloads with 302 to a signed URL that needs no key",
    )
    a(
        "--signed-url-ttl",
        type=float,
        default=d.signed_url_ttl,
        metavar="S",
        help="lifetime of a signed content URL in seconds (default: %(default)s)",
    )
    a("--seed", type=int, default=None, help="make faults, failures and ids reproducible")
    a("--rate-limit", type=int, default=None, metavar="N", help="requests per minute per key")
    a(
        "--max-active",
        type=int,
        default=None,
        metavar="N",
        help="jobs rendering at once; the others stay queued",
    )
    a("--fail-rate", type=_rate, default=0.0, metavar="P", help="probability a job ends failed")
    a(
        "--fault-rate",
        type=_rate,
        default=0.0,
        metavar="P",
        help="probability a request meets a transient fault",
    )
    a(
        "--fault-kinds",
        type=_kinds,
        default=FAULT_KINDS,
        metavar="K1,K2",
        help=f"faults to choose from (default: all of {','.join(sorted(FAULT_KINDS))})",
    )
    a(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="keep jobs and assets here across restarts (default: a temporary directory)",
    )
    a("--webhook-url", default=None, metavar="URL", help="POST a signed event when a job ends")
    a("--webhook-secret", default=None, metavar="whsec_...", help="secret that signs webhooks")
    a(
        "--poll-after-min-ms",
        type=int,
        default=d.poll_after_min_ms,
        metavar="MS",
        help="lower bound of openai-poll-after-ms (default: %(default)s)",
    )
    a(
        "--poll-after-max-ms",
        type=int,
        default=d.poll_after_max_ms,
        metavar="MS",
        help="upper bound of openai-poll-after-ms (default: %(default)s)",
    )
    a(
        "--asset-ttl",
        type=float,
        default=d.asset_ttl,
        metavar="S",
        help="seconds from completion until assets expire (default: %(default)s)",
    )
    a("--prerender", action="store_true", help="render each MP4 when its job completes")
    a(
        "--render-workers",
        type=int,
        default=d.render_workers,
        metavar="N",
        help="render threads (default: %(default)s)",
    )
    a("--fps", type=int, default=d.fps, help="frame rate of videos (default: %(default)s)")
    a(
        "--max-upload-bytes",
        type=int,
        default=d.max_upload_bytes,
        metavar="N",
        help="largest request body (default: %(default)s)",
    )
    a("--access-log", action="store_true", help="log every request")
    a(
        "--gateway-quirks",
        type=_quirks,
        nargs="?",
        const=GATEWAY_QUIRKS,
        default=frozenset(),
        metavar="Q1,Q2",
        help="behave like an OpenAI-compatible gateway: alone (or 'all') every quirk, or some of "
        f"{','.join(sorted(GATEWAY_QUIRKS))}",
    )
    a(
        "--gateway-error-shape",
        choices=GATEWAY_ERROR_SHAPES,
        default=None,
        help="the one error shape of --gateway-quirks error-shapes (default: each in turn)",
    )
    return p


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The configuration that parsed ``args`` describe."""
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        render_seconds=args.render_seconds,
        api_key=args.api_key,
        redirect_content=args.redirect_content,
        signed_url_ttl=args.signed_url_ttl,
        seed=args.seed,
        rate_limit=args.rate_limit,
        max_active=args.max_active,
        fail_rate=args.fail_rate,
        fault_rate=args.fault_rate,
        fault_kinds=args.fault_kinds,
        data_dir=args.data_dir,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        poll_after_min_ms=args.poll_after_min_ms,
        poll_after_max_ms=args.poll_after_max_ms,
        asset_ttl=args.asset_ttl,
        prerender=args.prerender,
        render_workers=args.render_workers,
        fps=args.fps,
        max_upload_bytes=args.max_upload_bytes,
        access_log=args.access_log,
        gateway_quirks=args.gateway_quirks,
        gateway_error_shape=args.gateway_error_shape,
        request_log_limit=1000,  # nobody reads a CLI server's log: keep memory flat
    )


#: Called once the server listens, with its base URL and Azure base URL; the context
#: manager it returns is held until the server stops.
Started = Callable[[str, str], contextlib.AbstractContextManager[None]]

#: The media packages the emulator renders with (its ``[emulator]`` extra).
MEDIA_MODULES = ("av", "PIL")
INSTALL_HINT = "the emulator needs its packages: pip install 'videoclient[emulator]'"


def missing_packages() -> list[str]:
    """The emulator's media packages that are not installed."""
    return [name for name in MEDIA_MODULES if importlib.util.find_spec(name) is None]


@contextlib.contextmanager
def _announce(base_url: str, azure_base_url: str) -> Iterator[None]:
    print(f"videoclient emulator serving {base_url} (Azure: {azure_base_url})", flush=True)
    root = base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url
    print(f"  Runway and Vertex AI: {root} (their paths from the root)", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    yield


async def _serve(config: EmulatorConfig, started: Started) -> None:
    from ._server import Emulator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with Emulator(config) as emu:
        with started(emu.base_url, emu.azure_base_url):
            await stop.wait()


def serve(config: EmulatorConfig | None = None, started: Started | None = None) -> None:
    """Run an emulator in the foreground until SIGINT or SIGTERM.

    Args:
        config: How to behave (default: port 8000).
        started: Called once it listens (default: print its address); see :data:`Started`.

    Raises:
        OSError: The address could not be bound (``errno.EADDRINUSE``: the port is taken).
    """
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config or EmulatorConfig(port=8000), started or _announce))


def main(argv: Sequence[str] | None = None, *, prog: str = "videoclient serve") -> int:
    """The command line: parse ``argv`` (default ``sys.argv[1:]``), serve, return an exit code.

    Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage (bad flags, a port in use, the
    ``[emulator]`` extra missing), 1 any other failure to serve.
    """
    args = build_parser(prog).parse_args(argv)
    missing = missing_packages()
    if missing:
        print(f"{prog}: error: {INSTALL_HINT} (missing: {', '.join(missing)})", file=sys.stderr)
        return 2
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    if config.access_log:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        serve(config)
    except OSError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2 if exc.errno == errno.EADDRINUSE else 1
    return 0
