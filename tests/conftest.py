"""Shared fixtures: a no-sleep switch, an aioresponses shim, and the spec's schemas."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from fakeclock import TestClock

from videoclient._io import clock

#: The vendored contract (see tests/spec/README.md): the tests read nothing outside the repo.
SPEC_PATH = Path(__file__).resolve().parent / "spec" / "videos-openapi.yaml"


@pytest.fixture(autouse=True)
def local_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``--local`` keeps its jobs in a directory of this test, never the user's own."""
    path = tmp_path_factory.mktemp("local-emulator")
    monkeypatch.setenv("VIDEOCLIENT_LOCAL_DIR", str(path))
    return path


@pytest.fixture
def retry_clock() -> Iterator[TestClock]:
    """The package's clock for the test: retry back-offs are virtual, polls take real time."""
    with clock.use(TestClock(virtual=("retry",))) as test_clock:
        yield test_clock


@pytest.fixture
def fast_retries() -> Iterator[TestClock]:
    """Retry back-offs shortened to at most 10 ms (real time), so chaos runs stay quick."""
    with clock.use(TestClock(virtual=("retry",), cap=0.01)) as test_clock:
        yield test_clock


@pytest.fixture
def sleeps(retry_clock: TestClock) -> list[float]:
    """Retries never really sleep: each back-off asked for is recorded and advances the clock."""
    return retry_clock.retries


@contextlib.contextmanager
def aioresponses_compat() -> Iterator[None]:
    """Let aioresponses 0.7.x build responses on aiohttp >= 3.14.

    aiohttp 3.14 made ``stream_writer`` a required argument of ``ClientResponse``;
    aioresponses 0.7.9 does not pass it (upstream issue #289). Build its responses
    from a subclass that supplies a writer reporting no bytes sent. Harmless on
    older aiohttp, where the argument does not exist.
    """
    import inspect

    import aiohttp
    import aioresponses.core as core

    params = inspect.signature(aiohttp.ClientResponse.__init__).parameters
    if "stream_writer" not in params:
        yield
        return

    class _Writer:
        output_size = 0

    class CompatResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _Writer())
            super().__init__(*args, **kwargs)

    with mock.patch.object(core, "ClientResponse", CompatResponse):
        yield


@pytest.fixture
def mock_api(sleeps: list[float]) -> Iterator[Any]:
    """An aioresponses mock of the network (real sockets are never opened)."""
    from aioresponses import aioresponses

    with aioresponses_compat(), aioresponses() as m:
        yield m


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The OpenAPI contract, parsed."""
    import yaml

    with open(SPEC_PATH, encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


class CannedServer:
    """A real aiohttp server on loopback that records raw requests and plays back answers.

    ``answer(method, path, handler_or_json, status=200, headers=None)`` sets what a route
    returns; every request is recorded in ``requests`` as a dict with method, path, query,
    headers and the raw body bytes.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: dict[tuple[str, str], list[Any]] = {}
        self.server: Any = None

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("/v1"))

    def answer(
        self,
        method: str,
        path: str,
        body: Any,
        status: int = 200,
        headers: dict[str, str] | None = None,
        repeat: bool = True,
    ) -> None:
        self.answers.setdefault((method, path), []).append((body, status, headers or {}, repeat))

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        raw = await request.read()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": list(request.query.items()),
                "headers": dict(request.headers),
                "body": raw,
                "content_type": request.content_type,
            }
        )
        queue = self.answers.get((request.method, request.path))
        if not queue:
            return web.json_response({"error": {"message": "no canned answer"}}, status=599)
        body, status, headers, repeat = queue[0]
        if len(queue) > 1 or not repeat:
            queue.pop(0)
        if callable(body):
            result = body(request)
            return await result if hasattr(result, "__await__") else result
        if isinstance(body, bytes):
            return web.Response(body=body, status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)


@contextlib.contextmanager
def thread_running(fn: Callable[[], object], join: float = 30) -> Iterator[list[BaseException]]:
    """Run ``fn`` in a thread during the block, joined at its end; yields the list that
    receives what ``fn`` raised (a call a test expects another thread to end)."""
    outcome: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    try:
        yield outcome
    finally:
        thread.join(join)


@contextlib.asynccontextmanager
async def serving_all(srv: Any) -> AsyncIterator[Any]:
    """Run ``srv.handle`` for every path on an ephemeral loopback port (sets ``srv.server``)."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    app = web.Application(client_max_size=1024**3)
    app.router.add_route("*", "/{tail:.*}", srv.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    srv.server = server
    try:
        yield srv
    finally:
        await server.close()


@pytest.fixture
async def canned(sleeps: list[float]) -> Any:
    """A CannedServer running on an ephemeral loopback port."""
    async with serving_all(CannedServer()) as srv:
        yield srv


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
