"""pytest plugin: test your code against a local Videos API emulator.

Installed with videoclient (the ``pytest11`` entry point ``videoclient``), so the fixtures are
there without any import::

    def test_my_pipeline(videoclient_emulator):
        result = my_pipeline(base_url=videoclient_emulator.base_url, api_key="sk-test")
        assert videoclient_emulator.count("POST", "/v1/videos") == 1

Fixtures (function scope; the emulator runs in a background thread, so sync and async tests
can both use it):

- ``videoclient_emulator_config``: the :class:`~videoclient.emulator.EmulatorConfig` in use,
  from the command-line options, the ini settings and the ``videoclient_emulator`` marker.
  Override it in your conftest to change everything at once.
- ``videoclient_emulator``: a running :class:`~videoclient.emulator.EmulatorThread`
  (``base_url``, ``request_log``, ``count()``, ``jobs_created``, ``asset_path()``...).
- ``videoclient_emulator_url``: its base URL (``http://127.0.0.1:PORT/v1``).
- ``videoclient_emulator_env``: the emulator, with ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``
  pointing at it for the test's duration.
- ``videoclient_client``: a sync :class:`~videoclient.VideoClient` bound to the emulator.
- ``videoclient_async_client``: an :class:`~videoclient.AsyncVideoClient` bound to the
  emulator (needs pytest-asyncio), closed after the test.

Per-test settings: ``@pytest.mark.videoclient_emulator(fault_rate=0.2, seed=7)`` takes any
``EmulatorConfig`` field. Options (each also an ini setting with ``_`` for ``-``):
``--videoclient-render-seconds`` (default 0.5), ``--videoclient-fault-rate``,
``--videoclient-fail-rate``, ``--videoclient-seed``, ``--videoclient-gateway-quirks``
(``all`` or ``restamp-ids,refuse-list``...: the emulator plays an OpenAI-compatible gateway).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from . import AsyncVideoClient, VideoClient
    from .emulator import EmulatorConfig, EmulatorThread

__all__ = [
    "EMULATOR_API_KEY",
    "videoclient_async_client",
    "videoclient_client",
    "videoclient_emulator",
    "videoclient_emulator_config",
    "videoclient_emulator_env",
    "videoclient_emulator_url",
]

#: The key ``videoclient_emulator_env`` exports when the emulator accepts any key.
EMULATOR_API_KEY = "sk-videoclient-emulator"

#: option name -> (EmulatorConfig field, type, default, help)
_OPTIONS: dict[str, tuple[str, type, str | None, str]] = {
    "render_seconds": (
        "render_seconds",
        float,
        "0.5",
        "seconds an emulated job takes (default 0.5)",
    ),
    "fault_rate": ("fault_rate", float, None, "probability a request meets a transient fault"),
    "fail_rate": ("fail_rate", float, None, "probability an emulated job ends failed"),
    "seed": ("seed", int, None, "seed that makes the emulator's faults reproducible"),
    "gateway_quirks": (
        "gateway_quirks",
        str,
        None,
        "gateway quirks the emulator plays ('all' or a comma-separated subset)",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("videoclient", "videoclient emulator")
    for name, (_, kind, default, help_text) in _OPTIONS.items():
        group.addoption(f"--videoclient-{name.replace('_', '-')}", type=kind, help=help_text)
        parser.addini(f"videoclient_{name}", help_text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "videoclient_emulator(**fields): EmulatorConfig fields for this test's emulator "
        "(e.g. render_seconds=0.2, fault_rate=0.1, seed=1).",
    )


def _option(config: pytest.Config, name: str) -> Any:
    kind = _OPTIONS[name][1]
    value = config.getoption(f"--videoclient-{name.replace('_', '-')}", default=None)
    if value is not None:
        return value
    try:
        text = config.getini(f"videoclient_{name}")
    except ValueError:  # the plugin's ini names are not registered (imported, not loaded)
        text = _OPTIONS[name][2]
    return None if text in (None, "") else kind(text)


@pytest.fixture
def videoclient_emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """The configuration of this test's emulator (options, ini, then the marker)."""
    from .emulator import EmulatorConfig

    fields: dict[str, Any] = {}
    for name, (field, _, _, _) in _OPTIONS.items():
        value = _option(request.config, name)
        if value is not None:
            fields[field] = value
    # Markers closest to the test win: apply the farthest (module, class) first.
    for marker in reversed(list(request.node.iter_markers("videoclient_emulator"))):
        fields.update(marker.kwargs)
    return EmulatorConfig(**fields)


@pytest.fixture
def videoclient_emulator(
    videoclient_emulator_config: EmulatorConfig,
) -> Iterator[EmulatorThread]:
    """A running emulator on an ephemeral port, in a background thread."""
    from .emulator import Emulator

    with Emulator(videoclient_emulator_config).in_thread() as emulator:
        yield emulator


@pytest.fixture
def videoclient_emulator_url(videoclient_emulator: EmulatorThread) -> str:
    """The running emulator's base URL, ``http://127.0.0.1:PORT/v1``."""
    return videoclient_emulator.base_url


@pytest.fixture
def videoclient_emulator_env(
    videoclient_emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch
) -> EmulatorThread:
    """The emulator, with ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` set to reach it."""
    monkeypatch.setenv("OPENAI_BASE_URL", videoclient_emulator.base_url)
    key = videoclient_emulator.emulator.config.api_key or EMULATOR_API_KEY
    monkeypatch.setenv("OPENAI_API_KEY", key)
    return videoclient_emulator


# -- Client fixtures bound to the emulator ---------------------------------------------------


def _key_for(emulator: EmulatorThread) -> str:
    return emulator.emulator.config.api_key or EMULATOR_API_KEY


@pytest.fixture
def videoclient_client(videoclient_emulator: EmulatorThread) -> Iterator[VideoClient]:
    """A sync :class:`~videoclient.VideoClient` bound to the emulator, closed after the test."""
    from . import VideoClient

    with VideoClient(
        _key_for(videoclient_emulator), base_url=videoclient_emulator.base_url
    ) as client:
        yield client


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the async fixture needs pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def videoclient_async_client(
        videoclient_emulator: EmulatorThread,
    ) -> AsyncIterator[AsyncVideoClient]:
        """An AsyncVideoClient bound to the emulator, closed after the test."""
        from . import AsyncVideoClient

        async with AsyncVideoClient(
            _key_for(videoclient_emulator), base_url=videoclient_emulator.base_url
        ) as client:
            yield client
