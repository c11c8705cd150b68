"""A faithful local Videos API server: demos, tests, chaos runs and benchmarks.

It serves every operation of the Videos API under ``/v1`` (and Azure's ``/openai/v1``), runs
jobs on a clock, renders real MP4/WebP/JPEG assets lazily, and can inject rate limits,
failures and transient faults reproducibly. It shares the models and the wire format with
the client but never imports the client.

Run it::

    videoclient serve --port 8000            # or: python -m videoclient.emulator
    async with Emulator(EmulatorConfig(render_seconds=0.5)) as emu: ...
    with Emulator().in_thread() as emu: ...
    videoclient serve --gateway-quirks       # play an OpenAI-compatible gateway (LiteLLM)

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from ._cli import build_parser, config_from_args, main, serve
from ._config import FAULT_KINDS, GATEWAY_ERROR_SHAPES, GATEWAY_QUIRKS, EmulatorConfig
from ._log import RequestLog, RequestRecord
from ._server import Emulator
from ._store import FAIL_TRIGGER, SLOW_TRIGGER
from ._thread import EmulatorThread

__all__ = (
    "FAIL_TRIGGER",
    "FAULT_KINDS",
    "GATEWAY_ERROR_SHAPES",
    "GATEWAY_QUIRKS",
    "SLOW_TRIGGER",
    "Emulator",
    "EmulatorConfig",
    "EmulatorThread",
    "RequestLog",
    "RequestRecord",
    "build_parser",
    "config_from_args",
    "main",
    "serve",
)
