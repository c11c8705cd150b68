"""Through a gateway, over real sockets: foreign error shapes, wrong content, missing hints and
validators.

The emulator plays the gateway (``gateway_quirks``: ``error-shapes``, ``ignore-variant``,
``drop-headers``); what it cannot play (an asset that changes between two answers, a
``Last-Modified`` validator, bytes served as ``application/octet-stream``) comes from a small
scripted server in this module. No test sleeps for real between retries or polls.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from fakeclock import TestClock

import videoclient
from videoclient import AsyncVideoClient, ContentIntegrityError, Video, VideoClient
from videoclient._client import body as _body
from videoclient._client.body import ContentStream
from videoclient._io import clock
from videoclient.emulator import GATEWAY_ERROR_SHAPES, Emulator, EmulatorConfig
from videoclient.emulator._faults import FaultPlan

KEY = "sk-emulator-gateway-answers"
CONTENT_ROUTE = "/videos/{video_id}/content"
MISSING = "video_missing"


@asynccontextmanager
async def running(**over: Any) -> AsyncIterator[tuple[Emulator, AsyncVideoClient]]:
    """An emulator in gateway mode (small, fast renders) and a client bound to it."""
    cfg = EmulatorConfig(**{"render_seconds": 0.3, "api_key": KEY, "fps": 8, **over})
    async with Emulator(cfg) as emu, AsyncVideoClient(KEY, base_url=emu.base_url) as client:
        yield emu, client


async def finished(client: AsyncVideoClient) -> Video:
    """A small job, polled every 20 ms until it completes (pacing is tested on its own below)."""
    video = await client.videos.create(prompt="a paper boat", size="64x64", seconds=4)
    video = await client.videos.poll(video, poll_interval=0.02, timeout=30)
    assert video.status == "completed", video
    return video


def content_records(emu: Emulator) -> list[Any]:
    return [r for r in emu.request_log if r.route == CONTENT_ROUTE]


async def pipe(opened: AbstractAsyncContextManager[ContentStream], sink: list[bytes]) -> None:
    """Enter a stream_content block and keep each chunk it hands out, until it ends or fails."""
    async with opened as stream:
        async for chunk in stream:
            sink.append(chunk)


# -- error messages ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", GATEWAY_ERROR_SHAPES)
async def test_every_gateway_error_shape_keeps_the_servers_words(shape: str) -> None:
    """A 404 in each foreign shape reads as the emulator's own message, status and request id."""
    async with running(gateway_quirks="error-shapes", gateway_error_shape=shape) as (_emu, client):
        with pytest.raises(videoclient.NotFoundError) as info:
            await client.videos.retrieve(MISSING)
    err = info.value
    assert f"Video with id '{MISSING}' not found." in err.message
    assert "no error message" not in err.message
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert str(err).startswith("HTTP 404: ") and f"request_id={err.request_id}" in str(err)
    if shape == "litellm":  # the upstream's own error, not the gateway's wrapping
        assert err.message == f"Video with id '{MISSING}' not found."
        assert err.code == "video_not_found"


async def test_a_gateway_that_drops_request_ids_still_names_the_status() -> None:
    """FastAPI's 405 for DELETE, with no x-request-id: the words and the status survive."""
    async with running(gateway_quirks={"refuse-delete", "drop-headers"}) as (_emu, client):
        video = await client.videos.create(prompt="a paper boat", size="64x64", seconds=4)
        with pytest.raises(videoclient.APIStatusError) as info:
            await client.videos.delete(video.id)
    err = info.value
    assert (err.status_code, err.message, err.request_id) == (405, "Method Not Allowed", None)
    assert str(err) == "HTTP 405: Method Not Allowed"


# -- content checks ---------------------------------------------------------------------------


async def test_a_gateway_that_ignores_the_variant_saves_nothing(tmp_path: Path) -> None:
    """download(variant="thumbnail") answered with the MP4: ContentIntegrityError, no file."""
    async with running(gateway_quirks={"ignore-variant", "drop-headers"}) as (emu, client):
        video = await finished(client)
        with pytest.raises(ContentIntegrityError) as info:
            await client.videos.download(video, tmp_path, variant="thumbnail")
        assert os.listdir(tmp_path) == []
        text = str(info.value)
        assert f"the thumbnail of {video.id} (an image)" in text
        assert "sent video/mp4 (by its Content-Type)" in text
        with pytest.raises(ContentIntegrityError, match="spritesheet"):
            await client.videos.download(video, tmp_path / "sheet.jpg", variant="spritesheet")
        assert os.listdir(tmp_path) == []
        path = await client.videos.download(video, tmp_path)  # the video itself is fine
        assert path.read_bytes() == await emu.asset_bytes(video.id)


async def test_a_refused_download_is_no_error_of_the_emulator(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The client hangs up on the wrong content mid-body: the emulator logs no traceback."""
    async with running(gateway_quirks="ignore-variant") as (_emu, client):
        video = await finished(client)
        with caplog.at_level(logging.ERROR, logger="videoclient.emulator"):
            for _ in range(3):
                with pytest.raises(ContentIntegrityError):
                    await client.videos.download_content(video.id, variant="thumbnail")
            await client.videos.download_content(video.id)  # the served ones have all ended
    assert not [r for r in caplog.records if r.name.startswith("videoclient.emulator")]


async def test_stream_and_download_content_refuse_the_wrong_variant() -> None:
    """stream_content fails on entering its block (no chunk handed out); download_content too."""
    async with running(gateway_quirks="ignore-variant") as (_emu, client):
        video = await finished(client)
        chunks: list[bytes] = []
        with pytest.raises(ContentIntegrityError, match="video/mp4"):
            await pipe(client.videos.stream_content(video.id, variant="thumbnail"), chunks)
        assert chunks == []
        with pytest.raises(ContentIntegrityError, match="spritesheet"):
            await client.videos.download_content(video.id, variant="spritesheet")
        assert len(await client.videos.download_content(video.id)) > 0


def sync_pipe(client: VideoClient, video_id: str, variant: str, sink: list[bytes]) -> None:
    """The blocking stream_content block, keeping each chunk it hands out."""
    with client.videos.stream_content(video_id, variant=variant) as stream:
        for chunk in stream:
            sink.append(chunk)


def test_the_blocking_client_refuses_the_wrong_variant_too(tmp_path: Path) -> None:
    """VideoClient.download, download_content and stream_content raise the same error."""
    cfg = EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8, gateway_quirks="ignore-variant")
    with Emulator(cfg).in_thread() as emu, VideoClient(KEY, base_url=emu.base_url) as client:
        video = client.videos.create(prompt="a paper boat", size="64x64", seconds=4)
        video = client.videos.poll(video, poll_interval=0.05)
        with pytest.raises(ContentIntegrityError, match="thumbnail"):
            client.videos.download(video, tmp_path, variant="thumbnail")
        with pytest.raises(ContentIntegrityError, match="thumbnail"):
            client.videos.download_content(video, variant="thumbnail")
        assert os.listdir(tmp_path) == []
        chunks: list[bytes] = []
        with pytest.raises(ContentIntegrityError, match="spritesheet"):
            sync_pipe(client, video.id, "spritesheet", chunks)
        assert chunks == []


def test_the_cli_says_what_came_instead_and_keeps_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`videoclient download --variant thumbnail` through the gateway: exit 3, both kinds named."""
    from click.testing import CliRunner

    from videoclient.cli._app import cli

    cfg = EmulatorConfig(render_seconds=0.2, api_key=KEY, gateway_quirks="ignore-variant")
    monkeypatch.chdir(tmp_path)
    with Emulator(cfg).in_thread() as emu:
        env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}
        runner = CliRunner()
        made = runner.invoke(cli, ["--json", "create", "a kite", "--size", "64x64",
                                   "--poll-interval", "0.05", "--wait"], env=env)  # fmt: skip
        assert made.exit_code == 0, made.output
        video_id = json.loads(made.stdout)["id"]
        result = runner.invoke(cli, ["download", video_id, "--variant", "thumbnail"], env=env)
    assert result.exit_code == 3, result.output
    assert "thumbnail" in result.stderr and "video/mp4" in result.stderr
    assert os.listdir(tmp_path) == []


# -- a scripted server: octet-stream bodies, changing assets, Last-Modified ---------------------

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41"
OLD = MP4_HEAD + bytes(range(256)) * 2048  # about 512 KiB: several chunks
NEW = MP4_HEAD + bytes(reversed(range(256))) * 2048
OLD_DATE = email.utils.formatdate(1_700_000_000, usegmt=True)
NEW_DATE = email.utils.formatdate(1_700_086_400, usegmt=True)


#: One scripted answer: the asset, its Last-Modified (or None), and how it is sent.
Action = tuple[bytes, str | None, str]


class ChangingAsset:
    """``/v1/videos/{id}/content`` from a script: one action per request (the last repeats).

    An action is ``(asset, last_modified, how)``: ``how`` is ``"cut"`` (half the answer, then
    the connection drops), ``"ok"`` (honour Range and If-Range), ``"blind"`` (honour Range,
    ignore If-Range: a gateway that dropped it). No ETag is ever sent.
    """

    def __init__(self, script: list[Action], content_type: str) -> None:
        self.script = script
        self.content_type = content_type
        self.requests: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        data, modified, how = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        headers = {"Content-Type": self.content_type}
        if modified is not None:
            headers["Last-Modified"] = modified
        start, status = 0, 200
        rng, if_range = request.headers.get("Range"), request.headers.get("If-Range")
        if rng and (how == "blind" or if_range is None or if_range == modified):
            start, status = int(rng.removeprefix("bytes=").split("-")[0]), 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = len(data) - start
        await resp.prepare(request)
        body = data[start:]
        if how == "cut":
            await resp.write(body[: len(body) // 2])
            assert request.transport is not None
            request.transport.close()
            return resp
        await resp.write(body)
        await resp.write_eof()
        return resp


@asynccontextmanager
async def serving(
    script: list[Action], content_type: str = "video/mp4"
) -> AsyncIterator[tuple[ChangingAsset, AsyncVideoClient]]:
    srv = ChangingAsset(script, content_type)
    app = web.Application()
    app.router.add_get("/v1/videos/{video_id}/content", srv.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/v1"))
    try:
        async with AsyncVideoClient(KEY, base_url=base) as client:
            yield srv, client
    finally:
        await server.close()


@pytest.fixture(params=["aiohttp-reads", "raw-reads"])
def read_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies read through aiohttp, and (every body counting as large) straight off the socket."""
    if request.param == "raw-reads":
        monkeypatch.setattr(_body, "RAW_MIN", 1)


@pytest.mark.usefixtures("read_path")
async def test_bytes_sent_as_octet_stream_are_judged_by_their_magic(tmp_path: Path) -> None:
    """An MP4 served as application/octet-stream for a thumbnail: refused by its first bytes."""
    async with serving([(OLD, None, "ok")], "application/octet-stream") as (_srv, client):
        with pytest.raises(ContentIntegrityError, match=r"video/mp4 \(by its first bytes\)"):
            await client.videos.download("video_1", tmp_path, variant="thumbnail")
        assert os.listdir(tmp_path) == []
        chunks: list[bytes] = []
        with pytest.raises(ContentIntegrityError, match="first bytes"):
            await pipe(client.videos.stream_content("video_1", variant="spritesheet"), chunks)
        assert chunks == []
        path = await client.videos.download("video_1", tmp_path / "clip.mp4")
        assert path.read_bytes() == OLD  # the video variant takes the same bytes


@pytest.mark.usefixtures("read_path")
async def test_without_any_validator_a_break_starts_over_and_never_splices(
    tmp_path: Path, sleeps: list[float]
) -> None:
    """No ETag, no Last-Modified, the asset changes: the rest is not asked for; the file is NEW."""
    async with serving([(OLD, None, "cut"), (NEW, None, "blind")]) as (srv, client):
        path = await client.videos.download("video_1", tmp_path / "clip.mp4")
        assert path.read_bytes() == NEW
        assert ["Range" in r for r in srv.requests] == [False, False]


async def test_a_stream_without_validators_fails_rather_than_splice(sleeps: list[float]) -> None:
    """Chunks already handed out cannot be taken back: the stream raises instead of mixing."""
    async with serving([(OLD, None, "cut"), (NEW, None, "blind")]) as (_srv, client):
        got: list[bytes] = []
        with pytest.raises(ContentIntegrityError, match="cannot be resumed"):
            await pipe(client.videos.stream_content("video_1"), got)
        handed = b"".join(got)
        assert handed == OLD[: len(handed)] and 0 < len(handed) < len(OLD)


@pytest.mark.usefixtures("read_path")
async def test_a_strong_last_modified_resumes_an_unchanged_asset(
    tmp_path: Path, sleeps: list[float]
) -> None:
    """No ETag but a Last-Modified: the rest is asked with If-Range: <date>; the file is exact."""
    async with serving([(OLD, OLD_DATE, "cut"), (OLD, OLD_DATE, "ok")]) as (srv, client):
        path = await client.videos.download("video_1", tmp_path / "clip.mp4")
        assert path.read_bytes() == OLD
        second = srv.requests[1]
        assert second["If-Range"] == OLD_DATE and int(second["Range"][6:-1]) > 0


@pytest.mark.parametrize(
    ("how", "new"),
    [
        pytest.param("ok", NEW, id="if-range-honoured-200"),
        pytest.param("blind", NEW, id="if-range-dropped-206-of-the-new-asset"),
        pytest.param("blind", NEW + b"longer", id="if-range-dropped-206-of-a-longer-asset"),
    ],
)
@pytest.mark.usefixtures("read_path")
async def test_a_changed_asset_is_downloaded_whole_never_spliced(
    tmp_path: Path, sleeps: list[float], how: str, new: bytes
) -> None:
    """The asset changed after the break: a 200 starts over, a blind 206 is refused and re-asked."""
    script: list[Action] = [(OLD, OLD_DATE, "cut"), (new, NEW_DATE, how), (new, NEW_DATE, "ok")]
    async with serving(script) as (srv, client):
        path = await client.videos.download("video_1", tmp_path / "clip.mp4")
        assert path.read_bytes() == new
        ranges = ["Range" in r for r in srv.requests]
        assert ranges == ([False, True] if how == "ok" else [False, True, False])


async def test_a_gateway_without_validators_is_read_whole_again(tmp_path: Path) -> None:
    """drop-headers strips the ETag: a cut download asks the emulator for all of it, not a range."""
    for seed in range(10_000):
        plan = FaultPlan(seed=seed, fault_rate=0.5, fail_rate=0.0, kinds=frozenset({"truncated"}))
        route = f"GET {CONTENT_ROUTE}"
        if [plan.fault_for(route, creates=False, streams=True) for _ in "ab"] == [
            "truncated",
            None,
        ]:
            break
    async with running(
        gateway_quirks="drop-headers", fault_rate=0.5, fault_kinds={"truncated"}, seed=seed
    ) as (emu, client):
        video = await finished(client)
        path = await client.videos.download(video.id, tmp_path / "clip.mp4")
        assert path.read_bytes() == await emu.asset_bytes(video.id)
        first, second = content_records(emu)
        assert first.fault == "truncated" and second.fault is None
        assert "range" not in second.headers and second.status == 200


# -- missing hints ------------------------------------------------------------------------------


@pytest.fixture
def virtual_polls() -> Iterator[TestClock]:
    """Poll waits and retries take no real time; the clock moves by what they asked."""
    with clock.use(TestClock(virtual=("retry", "poll"))) as test_clock:
        yield test_clock


async def test_without_poll_hints_polling_backs_off_as_documented(
    virtual_polls: TestClock,
) -> None:
    """No openai-poll-after-ms: waits of 1 s growing by half up to 10 s (the README's words)."""
    # The job renders in real time (a minute), the waits are virtual: it stays pending.
    async with running(gateway_quirks="drop-headers", render_seconds=60.0) as (_emu, client):
        video = await client.videos.create(prompt="a paper boat", size="64x64", seconds=4)
        with pytest.raises(videoclient.WaitTimeoutError):
            await client.videos.poll(video, timeout=60)
    expected = [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10.0, 10.0]
    assert virtual_polls.polls[: len(expected)] == pytest.approx(expected)
    assert max(virtual_polls.polls) <= 10.0
