"""Odd servers and misuse: every failure is a typed error, at once when retrying cannot help.

A scripted loopback aiohttp server (real sockets) plays the odd answers: dates past any
clock in ``Retry-After``, malformed or credential-carrying redirects, JSON nested too deep
to read. The rest is misuse: a closed client, a client carried to another event loop,
an upload file that changes after it was checked, a ``base_url`` with secrets in it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import serving_all
from videoclient import (
    APIConnectionError,
    APIResponseValidationError,
    AsyncVideoClient,
    InternalServerError,
)
from videoclient._io.stream import describe as _describe
from videoclient._io.upload import UPLOAD_CHUNK

KEY = "sk-test-SECRET-hardening"
VIDEO = {"id": "video_1", "object": "video", "status": "completed", "progress": 100}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Scripted:
    """Answers each path with its handler; counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: dict[str, int] = {}
        self.auth: dict[str, str | None] = {}
        self.server: TestServer | None = None
        self.release = asyncio.Event()  # set at teardown: stalled answers end

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1"))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        self.auth[request.path] = request.headers.get("Authorization")
        handler = self.routes.get(request.path)
        if handler is None:
            await request.read()
            resp = web.json_response(VIDEO)
        else:
            resp = await handler(request)
        resp.force_close()  # no pooled connection outlives a test's event loop
        return resp


@pytest.fixture
async def scripted(sleeps: list[float]) -> AsyncIterator[Scripted]:
    async with serving_all(Scripted()) as srv:
        try:
            yield srv
        finally:
            srv.release.set()


async def test_a_client_closed_before_use_sends_nothing(
    scripted: Scripted, sleeps: list[float]
) -> None:
    """close() before the first request still closes: calls fail at once, nothing is sent."""
    client = AsyncVideoClient(KEY, base_url=scripted.base_url)
    await client.close()
    with pytest.raises(APIConnectionError, match="closed"):
        await client.videos.retrieve("video_1")
    assert scripted.hits == {} and sleeps == []
    await client.close()  # still idempotent


async def test_a_closed_client_fails_at_once_without_retries(
    scripted: Scripted, sleeps: list[float]
) -> None:
    """A call after close() is not retried with back-off: nothing could ever be sent."""
    async with AsyncVideoClient(KEY, base_url=scripted.base_url) as client:
        assert (await client.videos.retrieve("video_1")).id == "video_1"
    with pytest.raises(APIConnectionError, match="closed"):
        await client.videos.retrieve("video_1")
    assert sleeps == [] and scripted.hits == {"/v1/videos/video_1": 1}


async def test_a_retry_after_date_past_any_clock_is_ignored(
    scripted: Scripted, sleeps: list[float]
) -> None:
    """A Retry-After date no clock can reach falls back to the normal back-off."""
    answers = iter([503, 200])

    async def busy(request: web.Request) -> web.StreamResponse:
        if next(answers) == 503:
            far = {"Retry-After": "Mon, 01 Jan 99999 00:00:00 GMT"}
            return web.Response(status=503, text="busy", headers=far)
        return web.json_response(VIDEO)

    scripted.routes["/v1/videos/video_1"] = busy
    async with AsyncVideoClient(KEY, base_url=scripted.base_url) as client:
        assert (await client.videos.retrieve("video_1")).id == "video_1"
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 8


async def test_a_malformed_redirect_is_a_connection_error(scripted: Scripted) -> None:
    """A Location that is not a usable http(s) URL is an APIConnectionError, not ValueError."""
    for location in ("http://[::1", "ftp://example.test/x", "mailto:someone@example.test"):

        async def redirect(request: web.Request, location: str = location) -> web.StreamResponse:
            return web.Response(status=302, headers={"Location": location})

        scripted.routes["/v1/videos/video_1"] = redirect
        async with AsyncVideoClient(KEY, base_url=scripted.base_url, max_retries=0) as client:
            with pytest.raises(APIConnectionError, match="redirected to an invalid URL"):
                await client.videos.retrieve("video_1")


async def test_a_redirect_with_user_info_is_followed_without_it(scripted: Scripted) -> None:
    """Credentials in a redirect URL are dropped; the API key still goes to its own origin."""

    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": f"http://user:pw@{request.host}/ok"})

    scripted.routes["/v1/videos/video_1"] = redirect
    async with AsyncVideoClient(KEY, base_url=scripted.base_url, max_retries=0) as client:
        assert (await client.videos.retrieve("video_1")).id == "video_1"
    assert scripted.hits["/ok"] == 1 and scripted.auth["/ok"] == f"Bearer {KEY}"


async def test_json_nested_too_deep_is_a_typed_error(scripted: Scripted) -> None:
    """A body nested past the recursion limit is a typed error, never a RecursionError."""
    deep = b"[" * 200_000

    async def error(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500, body=deep, content_type="application/json")

    async def success(request: web.Request) -> web.StreamResponse:
        return web.Response(status=200, body=deep, content_type="application/json")

    scripted.routes["/v1/videos/video_e"] = error
    scripted.routes["/v1/videos/video_s"] = success
    async with AsyncVideoClient(KEY, base_url=scripted.base_url, max_retries=0) as client:
        with pytest.raises(InternalServerError):
            await client.videos.retrieve("video_e")
        with pytest.raises(APIResponseValidationError):
            await client.videos.retrieve("video_s")


@pytest.mark.parametrize("change", ["removed", "cut"])
async def test_an_upload_file_changed_after_its_check_is_the_callers_error(
    scripted: Scripted, sleeps: list[float], tmp_path: Path, change: str
) -> None:
    """A file removed or cut short mid-upload raises an OSError as itself, unretried."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(3 * UPLOAD_CHUNK))
    calls = 0

    def tamper(done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if change == "removed" and calls == 1:  # after the framing, before the file opens
            path.unlink()
        if change == "cut" and done > UPLOAD_CHUNK:  # after the file's first chunk
            with open(path, "r+b") as fh:
                fh.truncate(10)

    query = {"sig": "QUERYSECRET"}
    async with AsyncVideoClient(KEY, base_url=scripted.base_url, default_query=query) as client:
        expected = FileNotFoundError if change == "removed" else OSError
        with pytest.raises(expected) as caught:
            await client.videos.edit(
                prompt="p", video=path, on_upload_progress=tamper, max_retries=2
            )
    assert not isinstance(caught.value, APIConnectionError)
    if change == "cut":
        assert "changed during the upload" in str(caught.value)
    assert "QUERYSECRET" not in str(caught.value) and sleeps == []


def test_error_texts_lose_the_user_info_and_query_of_urls() -> None:
    """Exception texts from aiohttp are cleaned of URL credentials and queries."""
    exc = OSError("POST http://u:pw@h:1/v1/videos/edits?sig=QUERYSECRET failed; url='http://h/a#x'")
    text = _describe(exc)
    assert text == "POST http://h:1/v1/videos/edits failed; url='http://h/a'"


@pytest.mark.parametrize(
    "base_url", ["http://h/v1?key=SECRET", "http://user:SECRET@h/v1", "http://h/v1#SECRET"]
)
def test_a_base_url_with_secrets_in_it_is_refused_without_showing_them(base_url: str) -> None:
    """Queries, fragments and user info in base_url are refused; the error does not echo them."""
    with pytest.raises(ValueError, match="base_url must not contain") as caught:
        AsyncVideoClient(KEY, base_url=base_url)
    assert "SECRET" not in str(caught.value)


async def test_a_client_carried_to_another_event_loop_gets_a_clear_error(
    scripted: Scripted, sleeps: list[float]
) -> None:
    """A client first used in another (now closed) loop fails clearly, at once; close() works."""
    client = AsyncVideoClient(KEY, base_url=scripted.base_url)
    outcome: list[Any] = []

    def first_loop() -> None:
        outcome.append(asyncio.run(client.videos.retrieve("video_1")))

    thread = threading.Thread(target=first_loop)
    thread.start()
    await asyncio.to_thread(thread.join)
    assert outcome[0].id == "video_1"
    with pytest.raises(APIConnectionError, match="another one"):
        await client.videos.retrieve("video_1")
    assert sleeps == [] and scripted.hits == {"/v1/videos/video_1": 1}
    await client.close()


async def test_bad_text_is_refused_before_anything_is_sent(
    scripted: Scripted, tmp_path: Path
) -> None:
    """A text-mode file, a lone surrogate in a prompt, a content type with a line break."""
    png = tmp_path / "ref.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    async with AsyncVideoClient(KEY, base_url=scripted.base_url) as client:
        with open(png) as text_mode, pytest.raises(TypeError, match="binary mode"):
            await client.videos.create(prompt="p", input_reference=text_mode)
        with pytest.raises(ValueError, match="lone surrogate"):
            await client.videos.create(prompt="a boat \ud800")
        with pytest.raises(ValueError, match="not a content type"):
            await client.videos.edit(
                prompt="p", video=("clip.mp4", b"\x00" * 64, "video/mp4\r\nX-Evil: 1")
            )
    assert scripted.hits == {}


@pytest.mark.parametrize(
    "error",
    [
        {"code": "moderation_blocked", "message": None},
        "the render crashed",
    ],
)
async def test_a_failed_job_with_an_odd_error_stays_readable(
    scripted: Scripted, error: object
) -> None:
    """A null error message or a bare string error still gives the failed Video."""

    async def failed(request: web.Request) -> web.StreamResponse:
        return web.json_response({**VIDEO, "status": "failed", "error": error})

    scripted.routes["/v1/videos/video_1"] = failed
    async with AsyncVideoClient(KEY, base_url=scripted.base_url) as client:
        video = await client.videos.retrieve("video_1")
    assert video.status == "failed" and video.error is not None
    assert video.error.message == ("" if isinstance(error, dict) else error)


def test_a_nan_webhook_tolerance_is_refused() -> None:
    """tolerance=nan would turn the replay check off: it is a ValueError."""
    from videoclient import webhooks

    body = b'{"type": "video.completed", "data": {"id": "video_1"}}'
    secret = "whsec_" + "c2VjcmV0"
    headers = webhooks.signed_headers(body, secret=secret, msg_id="msg_1", timestamp=1)
    with pytest.raises(ValueError, match="tolerance"):
        webhooks.unwrap(body, headers, secret, tolerance=float("nan"))


@pytest.mark.parametrize(
    ("fields", "exc"),
    [
        ({"total": 0}, ValueError),
        ({"read": -1}, ValueError),
        ({"connect": float("nan")}, ValueError),
        ({"read": float("inf")}, ValueError),
        ({"total": "10"}, TypeError),
        ({"read": True}, TypeError),
    ],
)
def test_a_timeout_that_would_mean_no_limit_is_refused(fields: dict[str, Any], exc: type) -> None:
    """0 (or NaN) would silently mean "no limit" to aiohttp: only None says that."""
    from videoclient import Timeout

    with pytest.raises(exc, match="Timeout"):
        Timeout(**fields)
    assert Timeout(total=None, connect=None, read=None).read is None


def _stall(srv: Scripted) -> Handler:
    """A handler: headers and the first KiB of a 1 MB body, then nothing until teardown."""

    async def stall(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        resp.content_length = 1_000_000
        await resp.prepare(request)
        await resp.write(b"x" * 1024)
        await srv.release.wait()
        return resp

    return stall


async def test_closing_ends_calls_queued_for_a_connection_as_closed(scripted: Scripted) -> None:
    """Calls waiting for a pooled connection end "closed" on close(), not cancelled."""
    scripted.routes["/v1/videos/video_1/content"] = _stall(scripted)
    client = AsyncVideoClient(KEY, base_url=scripted.base_url, max_connections=1)
    started = asyncio.Event()

    async def hold() -> None:
        async with client.videos.stream_content("video_1") as stream:
            async for _ in stream:
                started.set()

    holder = asyncio.create_task(hold())
    await asyncio.wait_for(started.wait(), 30)
    queued = [asyncio.create_task(client.videos.retrieve(f"video_{i}")) for i in range(3)]
    await asyncio.sleep(0.1)  # let them queue for the only connection
    await client.close()
    results = await asyncio.gather(holder, *queued, return_exceptions=True)
    assert all(isinstance(r, APIConnectionError) for r in results), results
    assert not any(t.cancelled() for t in (holder, *queued))


@pytest.mark.parametrize("end", ["cancel", "close"])
async def test_an_upload_cut_short_closes_its_file_at_once(
    scripted: Scripted, tmp_path: Path, end: str
) -> None:
    """Uploads cancelled, or ended by close(), close their files when the calls end, not
    later in the garbage collector."""
    import gc
    import os

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd")
    path = tmp_path / "big.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(8 * UPLOAD_CHUNK))
    scripted.routes["/v1/videos/edits"] = _stall(scripted)  # never reads the body
    started = 0
    all_sent = asyncio.Event()

    def progress(done: int, total: int) -> None:
        nonlocal started
        if done > UPLOAD_CHUNK and not all_sent.is_set():
            started += 1
            if started == 4:
                all_sent.set()

    def open_handles() -> int:
        fds = os.listdir("/proc/self/fd")
        return sum(os.path.realpath(f"/proc/self/fd/{fd}") == str(path) for fd in fds)

    client = AsyncVideoClient(KEY, base_url=scripted.base_url, max_retries=0)
    tasks = [
        asyncio.create_task(client.videos.edit(prompt="p", video=path, on_upload_progress=progress))
        for _ in range(4)
    ]
    gc.disable()  # the files must be closed by the calls, not by a collection
    try:
        await asyncio.wait_for(all_sent.wait(), 30)
        if end == "cancel":
            for task in tasks:
                task.cancel()
        else:
            await client.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(30):  # aiohttp's body writers end a few loop turns after the calls
            if not open_handles():
                break
            await asyncio.sleep(0.01)
        assert open_handles() == 0
    finally:
        gc.enable()
        await client.close()
