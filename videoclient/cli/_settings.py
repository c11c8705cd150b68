"""The options every command shares, and the client (or local emulator) they describe."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import anyio
import attrs
import click

from videoclient import AsyncVideoClient

__all__ = ["LOCAL_API_KEY", "LOCAL_RENDER_SECONDS", "Settings", "common_options", "settings"]

T = TypeVar("T")

#: How long a job takes on the ``--local`` emulator (the emulator's own default is 5 s).
LOCAL_RENDER_SECONDS = 2.0
#: The key the CLI gives the ``--local`` emulator (which accepts any key).
LOCAL_API_KEY = "sk-videoclient-local"

EMULATOR_HINT = "--local needs the emulator's packages: pip install 'videoclient[emulator]'"
#: The modules the emulator renders media with (its ``[emulator]`` extra).
EMULATOR_MODULES = ("av", "PIL")


def require_emulator_packages(hint: str = EMULATOR_HINT) -> None:
    """Stop with ``hint`` now when the emulator's packages are missing (not after a job).

    ``videoclient.emulator`` itself imports without them; only rendering needs them.
    """
    missing = [name for name in EMULATOR_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise click.UsageError(f"{hint} (missing: {', '.join(missing)})")


def _local_root(base_url: str, provider: str) -> str:
    """The local emulator's URL for ``provider``: it speaks every provider's protocol, each at
    its real paths (OpenAI's under ``/v1``; Runway's and Vertex's from the root)."""
    if provider in ("runway", "vertex") and base_url.endswith("/v1"):
        return base_url[: -len("/v1")]
    return base_url


@attrs.define
class Settings:
    """What the shared options said, wherever on the command line they were given."""

    api_key: str | None = attrs.field(default=None, repr=False)
    base_url: str | None = None
    provider: str = "openai"
    #: ``--create-retry``: the clients' create-retry policy (None: each provider's default).
    create_retry: str | None = None
    local: bool = False
    local_render_seconds: float = LOCAL_RENDER_SECONDS
    json: bool = False
    quiet: bool = False
    debug: bool = False
    #: The command line as typed, to name the flags a usage error is about.
    argv: tuple[str, ...] = ()

    @contextlib.contextmanager
    def endpoints(self) -> Iterator[Callable[[str], tuple[str | None, str | None]]]:
        """``provider -> (api_key, base_url)``; with ``--local``, of an emulator started here.

        ``--api-key`` and ``--base-url`` are the ``--provider``'s; another provider (a batch
        line may name one) takes its key and base URL from its own environment variables.
        """
        if not self.local:
            mine = (self.api_key, self.base_url)
            yield lambda provider: mine if provider == self.provider else (None, None)
            return
        require_emulator_packages()
        from videoclient.emulator import Emulator, EmulatorConfig

        from ._local import LocalBusy, local_data_dir, own_local_dir, serving_url

        directory = local_data_dir()
        with own_local_dir(directory) as owned:
            if not owned:  # a ``serve --local`` holds it: share that one
                url = serving_url(directory)
                if url is None:  # it stopped just now: never fall back to the default URL
                    raise LocalBusy(f"the local emulator in {directory} is busy; try again")
                shared = url
                yield lambda provider: (LOCAL_API_KEY, _local_root(shared, provider))
                return
            config = EmulatorConfig(render_seconds=self.local_render_seconds, data_dir=directory)
            with Emulator(config).in_thread() as emu:
                base = emu.base_url
                yield lambda provider: (LOCAL_API_KEY, _local_root(base, provider))

    @contextlib.contextmanager
    def endpoint(self) -> Iterator[tuple[str | None, str | None]]:
        """``(api_key, base_url)`` of the ``--provider``; with ``--local``, of an emulator."""
        with self.endpoints() as of:
            yield of(self.provider)

    def run(
        self,
        work: Callable[[AsyncVideoClient], Awaitable[T]],
        *,
        also: Callable[[dict[str, AsyncVideoClient]], None] | None = None,
        providers: Iterable[str] = (),
    ) -> T:
        """Run ``work(client)`` on a new event loop with a client for these settings.

        ``providers``: other providers to make clients for too, handed to ``also`` before
        ``work`` runs (all are closed afterwards).
        """
        with self.endpoints() as of:

            async def main() -> T:
                async with contextlib.AsyncExitStack() as stack:
                    client = await stack.enter_async_context(
                        client_for(self.provider, *of(self.provider), self.create_retry)
                    )
                    others = {
                        name: await stack.enter_async_context(
                            client_for(name, *of(name), self.create_retry)
                        )
                        for name in sorted(set(providers) - {self.provider})
                    }
                    if also is not None:
                        also(others)
                    return await work(client)

            return anyio.run(main)


def client_for(
    provider: str, key: str | None, base_url: str | None, create_retry: str | None = None
) -> AsyncVideoClient:
    """A client of ``provider`` (each provider's key comes from its own variable)."""
    policy: Any = create_retry  # one of CREATE_RETRY_POLICIES: click checked it
    if provider == "runway":
        return AsyncVideoClient.runway(key, base_url=base_url, create_retry=policy)
    if provider == "vertex":
        return AsyncVideoClient.vertex(key, base_url=base_url, create_retry=policy)
    return AsyncVideoClient(key, base_url=base_url, create_retry=policy)


def settings(ctx: click.Context) -> Settings:
    """The run's :class:`Settings` (one object, at the root context)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return  # not given here; maybe given before or after the command name
        if name == "debug" and not settings(ctx).debug:
            _log_to_stderr(ctx)
        setattr(settings(ctx), name, value)

    return callback


def _log_to_stderr(ctx: click.Context) -> None:
    """Send the ``videoclient`` logger's DEBUG records to stderr until the command ends."""
    logger = logging.getLogger("videoclient")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    ctx.find_root().call_on_close(restore)


_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--api-key",),
        {"metavar": "KEY", "help": "API key (default: $OPENAI_API_KEY)."},
    ),
    (
        ("--base-url",),
        {
            "metavar": "URL",
            "help": "API base URL (default: $OPENAI_BASE_URL, else https://api.openai.com/v1).",
        },
    ),
    (
        ("--provider",),
        {
            "type": click.Choice(("openai", "runway", "vertex")),
            "help": "The API to talk to: openai (default), runway (key from $RUNWAYML_API_SECRET) "
            "or vertex (Veo on Vertex AI, express mode: $GOOGLE_API_KEY).",
        },
    ),
    (
        ("--create-retry",),
        {
            "type": click.Choice(("idempotent", "conservative")),
            "help": "When a create that failed may be sent again: idempotent (the server "
            "deduplicates it; OpenAI's default) or conservative (only when it provably was not "
            "acted on; Runway's and Vertex's default). Use conservative behind a gateway "
            "that drops the Idempotency-Key.",
        },
    ),
    (
        ("--local",),
        {
            "is_flag": True,
            "default": None,
            "help": "Use the local emulator (no key needed); its jobs are kept between commands.",
        },
    ),
    (
        ("--local-render-seconds",),
        {
            "type": click.FloatRange(min=0),
            "metavar": "S",
            "help": f"How long a --local job takes (default: {LOCAL_RENDER_SECONDS:g}).",
        },
    ),
    (
        ("--json",),
        {"is_flag": True, "default": None, "help": "Machine-readable JSON output, no progress."},
    ),
    (
        ("--quiet", "-q"),
        {"is_flag": True, "default": None, "help": "No progress; print only ids and paths."},
    ),
    (
        ("--debug",),
        {"is_flag": True, "default": None, "help": "Log requests and show tracebacks."},
    ),
]


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Accept the shared options here too (``videoclient generate --local ...``)."""
    for decls, attrs_ in reversed(_OPTIONS):
        name = decls[0].lstrip("-").replace("-", "_")
        fn = click.option(
            *decls, expose_value=False, is_eager=True, callback=_store(name), **attrs_
        )(fn)
    return fn
