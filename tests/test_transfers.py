"""download() and stream_content() against small loopback servers with scripted failures.

Each test runs one or two real aiohttp servers on 127.0.0.1 (different ports are different
origins) that serve an asset with an ETag and byte ranges, and can cut the body, ignore
Range, stall, redirect or answer an error, so every branch of a resumable download is
exercised over real sockets. No test sleeps for real between retries (``sleeps`` fixture).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import videoclient
from videoclient import AsyncVideoClient, Timeout
from videoclient._client import body as _body

KEY = "sk-test-SECRET-transfers"
ASSET = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4 bytes: several chunks
ETAG = '"asset-v1"'


class AssetServer:
    """Serves ``/v1/videos/{id}/content`` (and ``/v1/videos/{id}``) with scripted behaviour.

    ``script`` is a list of actions used one per content request (the last repeats):
    ``"ok"`` (honour Range/If-Range), ``"cut"`` (send half of what was asked, then drop the
    connection), ``"stall"`` (send half, then wait until the test ends), ``"full"`` (ignore
    Range: always 200 with everything), ``"drip"`` (send in four pieces, pausing between),
    ``"expired"`` (404 video_expired), ``"404"`` (a 404 without a code), ``"redirect"``
    (302 to ``redirect_to``).
    """

    def __init__(self, data: bytes = ASSET, etag: str | None = ETAG) -> None:
        self.data = data
        self.etag = etag
        self.script: list[str] = ["ok"]
        self.requests: list[dict[str, Any]] = []
        self.redirect_to: str | None = None
        self.redirect_status = 302
        self.video: dict[str, Any] | None = None
        self.release = asyncio.Event()
        self.server: TestServer | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    @property
    def base_url(self) -> str:
        return self.origin + "/v1"

    def content_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/content")]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            {"method": request.method, "path": request.path, "headers": dict(request.headers)}
        )
        if not request.path.endswith("/content"):
            if self.video is None:
                return web.json_response({"error": {"message": "no such video"}}, status=404)
            return web.json_response(self.video)
        action = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if action == "expired":
            err = {"error": {"message": "expired", "code": "video_expired"}}
            return web.json_response(err, status=404)
        if action == "404":
            return web.json_response({"error": {"message": "not found"}}, status=404)
        if action == "redirect":
            assert self.redirect_to is not None
            return web.Response(status=self.redirect_status, headers={"Location": self.redirect_to})
        return await self.send(request, action)

    async def send(self, request: web.Request, action: str) -> web.StreamResponse:
        size = len(self.data)
        start, status = 0, 200
        # The type of the variant asked for (a video, or an image): a download checks it.
        kind = "video/mp4" if request.query.get("variant", "video") == "video" else "image/webp"
        headers = {"Content-Type": kind, "Accept-Ranges": "bytes"}
        if self.etag:
            headers["ETag"] = self.etag
        rng = request.headers.get("Range")
        if_range = request.headers.get("If-Range")
        if action != "full" and rng and (if_range is None or if_range == self.etag):
            start = int(rng.removeprefix("bytes=").split("-")[0])
            status = 206
            headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = size - start
        await resp.prepare(request)
        body = self.data[start:]
        if action in ("cut", "stall"):
            await resp.write(body[: len(body) // 2])
            if action == "stall":
                await self.release.wait()
            assert request.transport is not None
            request.transport.close()
            return resp
        if action == "drip":
            step = len(body) // 4 + 1
            for i in range(0, len(body), step):
                await resp.write(body[i : i + step])
                await asyncio.sleep(0.15)
        else:
            await resp.write(body)
        await resp.write_eof()
        return resp


async def _start(srv: AssetServer, tls: ssl.SSLContext | None = None) -> TestServer:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", srv.handle)
    server = TestServer(app, host="127.0.0.1", scheme="https" if tls else "http")
    await server.start_server(ssl=tls)
    srv.server = server
    return server


@pytest.fixture(autouse=True, params=["aiohttp-reads", "raw-reads"])
def read_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs twice: bodies read through aiohttp, and large-body raw reads.

    For raw reads every body counts as large and buffers grow from 16 to 64 KiB, so the
    asset spans many buffers (and reading pauses while they wait). That bodies are really
    handed over is pinned in test_receiver.py.
    """
    if request.param == "raw-reads":
        from videoclient._io import receiver as _receiver

        monkeypatch.setattr(_body, "RAW_MIN", 1)
        monkeypatch.setattr(_receiver, "BUFFER_SIZE", 64 * 1024)
        monkeypatch.setattr(_receiver, "MIN_BUFFER_SIZE", 16 * 1024)


@asynccontextmanager
async def serving(
    srv: AssetServer, tls: ssl.SSLContext | None = None
) -> AsyncIterator[AssetServer]:
    """``srv`` listening on an ephemeral loopback port (over TLS with ``tls``) until the end."""
    server = await _start(srv, tls)
    try:
        yield srv
    finally:
        srv.release.set()
        await server.close()


@pytest.fixture
async def assets(sleeps: list[float]) -> AsyncIterator[AssetServer]:
    """An AssetServer on an ephemeral loopback port."""
    async with serving(AssetServer()) as srv:
        yield srv


@pytest.fixture
async def storage(sleeps: list[float]) -> AsyncIterator[AssetServer]:
    """A second AssetServer: another port, so another origin (a signed-URL store)."""
    async with serving(AssetServer()) as srv:
        yield srv


@pytest.fixture
async def client(assets: AssetServer) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient(KEY, base_url=assets.base_url, max_retries=2) as c:
        yield c


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(directory: Path) -> list[str]:
    """Every file in ``directory`` (temporary files included)."""
    return sorted(os.listdir(directory))


# -- download: the happy path and naming ------------------------------------------------------


async def test_download_writes_the_asset_and_returns_its_path(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """download() writes the whole asset to the target file and returns that path."""
    target = tmp_path / "out.mp4"
    result = await client.videos.download("video_1", target)
    assert result == target
    assert sha(target.read_bytes()) == sha(ASSET)
    assert leftovers(tmp_path) == ["out.mp4"]


@pytest.mark.parametrize(
    ("variant", "name"),
    [
        pytest.param("video", "video_1.mp4", id="video"),
        pytest.param("thumbnail", "video_1.webp", id="thumbnail"),
        pytest.param("spritesheet", "video_1.jpg", id="spritesheet"),
    ],
)
async def test_download_into_a_directory_names_the_file_for_the_variant(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path, variant: str, name: str
) -> None:
    """A directory target gets the video id plus the variant's extension."""
    result = await client.videos.download("video_1", tmp_path, variant=variant)
    assert result == tmp_path / name
    assert result.read_bytes() == ASSET


@pytest.mark.parametrize(
    ("video_id", "variant", "expected"),
    [
        pytest.param("video_abc", "video", "video_abc.mp4", id="plain"),
        pytest.param("vid:1+2", "thumbnail", "vid_1_2.webp", id="unsafe-chars"),
        pytest.param(".hidden", "spritesheet", "hidden.jpg", id="leading-dot"),
        pytest.param("üñï", "video", "___.mp4", id="non-ascii"),
    ],
)
def test_default_filename_is_sanitised(video_id: str, variant: str, expected: str) -> None:
    """File names inside a directory keep only safe characters and get the variant's extension."""
    from videoclient._client.transfers import default_filename

    assert default_filename(video_id, variant) == expected


async def test_download_sends_accept_identity_and_no_range_first(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """The first request asks for the whole, unencoded asset (byte counts must be exact)."""
    await client.videos.download("video_1", tmp_path / "a.mp4")
    (req,) = assets.content_requests()
    assert req["headers"]["Accept-Encoding"] == "identity"
    assert "Range" not in req["headers"] and "If-Range" not in req["headers"]


async def test_download_accepts_a_video_object(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """A Video can be passed instead of its id."""
    video = videoclient.Video(id="video_7", status="completed")
    path = await client.videos.download(video, tmp_path)
    assert path.name == "video_7.mp4" and assets.content_requests()[0]["path"].startswith(
        "/v1/videos/video_7/"
    )


# -- download: caller mistakes, before any request ---------------------------------------------


async def test_existing_target_without_overwrite_fails_before_any_request(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """overwrite=False and an existing target: FileExistsError, nothing sent, file untouched."""
    target = tmp_path / "out.mp4"
    target.write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        await client.videos.download("video_1", target)
    assert assets.requests == []
    assert target.read_bytes() == b"keep me"


async def test_overwrite_replaces_an_existing_file(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """overwrite=True replaces the existing file with the downloaded asset."""
    target = tmp_path / "out.mp4"
    target.write_bytes(b"old")
    await client.videos.download("video_1", target, overwrite=True)
    assert target.read_bytes() == ASSET
    assert leftovers(tmp_path) == ["out.mp4"]


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        pytest.param({"variant": "poster"}, ValueError, id="unknown-variant"),
        pytest.param({"on_progress": 3}, TypeError, id="progress-not-callable"),
        pytest.param({"target": "missing-dir/out.mp4"}, FileNotFoundError, id="no-parent-dir"),
        pytest.param({"target": "missing-dir/"}, FileNotFoundError, id="no-target-dir"),
        pytest.param({"target": 42}, TypeError, id="target-not-a-path"),
        pytest.param({"video_id": "a/b"}, ValueError, id="bad-id"),
        pytest.param({"timeout": -1}, ValueError, id="bad-option"),
        pytest.param({"bogus": 1}, TypeError, id="unknown-option"),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    client: AsyncVideoClient,
    assets: AssetServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kwargs: dict[str, Any],
    exc: type[Exception],
) -> None:
    """Wrong arguments raise ValueError/TypeError/OSError and send nothing."""
    monkeypatch.chdir(tmp_path)
    args: dict[str, Any] = {"video_id": "video_1", "target": tmp_path / "x.mp4", **kwargs}
    with pytest.raises(exc):
        await client.videos.download(args.pop("video_id"), args.pop("target"), **args)
    assert assets.requests == []
    assert leftovers(tmp_path) == []


# -- download: resuming ----------------------------------------------------------------------


async def test_a_cut_download_resumes_with_range_and_is_byte_identical(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path, sleeps: list[float]
) -> None:
    """A connection dropped mid-body is resumed with Range + If-Range; the file is complete."""
    assets.script = ["cut", "ok"]
    path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert sha(path.read_bytes()) == sha(ASSET)
    first, second = assets.content_requests()
    assert "Range" not in first["headers"]
    offset = int(second["headers"]["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < offset < len(ASSET)
    assert second["headers"]["If-Range"] == ETAG
    assert len(sleeps) == 1  # one back-off, counted against max_retries
    assert leftovers(tmp_path) == ["v.mp4"]


async def test_repeated_cuts_resume_until_complete(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """Each cut continues where the last one stopped (offsets strictly increase)."""
    assets.script = ["cut", "cut", "ok"]
    path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == ASSET
    offsets = [
        int(r["headers"].get("Range", "bytes=0-").removeprefix("bytes=").rstrip("-"))
        for r in assets.content_requests()
    ]
    assert offsets[0] == 0 and offsets[0] < offsets[1] < offsets[2] < len(ASSET)


async def test_cuts_beyond_the_retry_budget_fail_and_leave_nothing(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """With every answer cut, the call fails after max_retries resumes; no file, no temp file."""
    assets.script = ["cut"]
    with pytest.raises(videoclient.APIConnectionError):
        await client.videos.download("video_1", tmp_path / "v.mp4", max_retries=1)
    assert len(assets.content_requests()) == 2
    assert leftovers(tmp_path) == []


async def test_a_server_ignoring_range_restarts_cleanly(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """A 200 answer to a Range request starts the file over; the result is still exact."""
    assets.script = ["cut", "full"]
    progress: list[tuple[int, int | None]] = []
    path = await client.videos.download(
        "video_1", tmp_path / "v.mp4", on_progress=lambda d, t: progress.append((d, t))
    )
    assert path.read_bytes() == ASSET
    assert "Range" in assets.content_requests()[1]["headers"]
    restarts = [i for i, (d, _) in enumerate(progress) if d == 0]
    assert len(restarts) == 2 and progress[-1] == (len(ASSET), len(ASSET))


async def test_without_an_etag_a_break_restarts_without_range(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """No strong ETag: nothing pins the asset, so the retry asks for all of it again."""
    assets.etag = None
    assets.script = ["cut", "ok"]
    path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == ASSET
    assert all("Range" not in r["headers"] for r in assets.content_requests())


async def test_an_idle_connection_times_out_by_the_read_timeout_and_resumes(
    assets: AssetServer, tmp_path: Path
) -> None:
    """A stalled body hits Timeout.read (an idle timeout) and the download resumes."""
    assets.script = ["stall", "ok"]
    timeout = Timeout(total=60, connect=5, read=0.3)
    async with AsyncVideoClient(KEY, base_url=assets.base_url, timeout=timeout) as c:
        path = await c.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == ASSET
    assert "Range" in assets.content_requests()[1]["headers"]


async def test_an_idle_connection_without_retries_is_a_timeout_error(
    assets: AssetServer, tmp_path: Path
) -> None:
    """With no retry left, a stalled body raises APITimeoutError and leaves no file."""
    assets.script = ["stall"]
    timeout = Timeout(total=60, connect=5, read=0.3)
    async with AsyncVideoClient(KEY, base_url=assets.base_url, timeout=timeout) as c:
        with pytest.raises(videoclient.APITimeoutError, match="read timeout"):
            await c.videos.download("video_1", tmp_path / "v.mp4", max_retries=0)
    assert leftovers(tmp_path) == []


async def test_the_total_timeout_does_not_cut_a_slow_download(
    assets: AssetServer, tmp_path: Path
) -> None:
    """A body that takes longer than Timeout.total but never idles past Timeout.read succeeds."""
    assets.script = ["drip"]
    timeout = Timeout(total=0.2, connect=5, read=30)
    async with AsyncVideoClient(KEY, base_url=assets.base_url, timeout=timeout) as c:
        path = await c.videos.download("video_1", tmp_path / "v.mp4", max_retries=0)
    assert path.read_bytes() == ASSET


# -- download: progress, cancellation, integrity ---------------------------------------------


async def test_progress_reports_monotonic_counts_up_to_the_total(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """on_progress gets (0, total) first, then growing counts ending at (total, total)."""
    calls: list[tuple[int, int | None]] = []

    async def progress(done: int, total: int | None) -> None:
        calls.append((done, total))

    await client.videos.download("video_1", tmp_path / "v.mp4", on_progress=progress)
    assert calls[0] == (0, len(ASSET)) and calls[-1] == (len(ASSET), len(ASSET))
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(calls) > 2


async def test_cancelling_mid_download_leaves_neither_file_nor_temp_file(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """Cancellation while bytes are arriving removes the temporary file; no target appears."""
    assets.script = ["stall"]
    started = asyncio.Event()

    def progress(done: int, total: int | None) -> None:
        if done > 0:
            started.set()

    task = asyncio.create_task(
        client.videos.download("video_1", tmp_path / "v.mp4", on_progress=progress)
    )
    await asyncio.wait_for(started.wait(), 10)
    assert any(name.endswith(".part") for name in leftovers(tmp_path))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(tmp_path) == []


async def test_an_error_in_the_progress_callback_aborts_cleanly(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """An exception from on_progress propagates and leaves no file behind."""

    def progress(done: int, total: int | None) -> None:
        if done > 0:
            raise RuntimeError("disk quota")

    with pytest.raises(RuntimeError, match="disk quota"):
        await client.videos.download("video_1", tmp_path / "v.mp4", on_progress=progress)
    assert leftovers(tmp_path) == []


async def test_a_206_from_the_wrong_offset_is_an_integrity_error(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resumed answer that does not continue where the file stopped is rejected."""
    assets.script = ["cut", "ok"]
    original = assets.send

    async def shifted(request: web.Request, action: str) -> web.StreamResponse:
        if "Range" in request.headers:
            resp = web.Response(
                status=206,
                body=ASSET[:10],
                headers={"Content-Range": f"bytes 0-9/{len(ASSET)}", "ETag": ETAG},
            )
            return resp
        return await original(request, action)

    monkeypatch.setattr(assets, "send", shifted)
    with pytest.raises(videoclient.ContentIntegrityError, match="from byte 0"):
        await client.videos.download("video_1", tmp_path / "v.mp4")
    assert leftovers(tmp_path) == []


async def test_a_changed_total_is_an_integrity_error(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resumed answer whose Content-Range total differs from the first length is rejected."""
    assets.script = ["cut", "ok"]
    original = assets.send

    async def grown(request: web.Request, action: str) -> web.StreamResponse:
        if "Range" in request.headers:
            start = int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
            body = ASSET[start:] + b"extra"
            rng = f"bytes {start}-{len(ASSET) + 4}/{len(ASSET) + 5}"
            return web.Response(status=206, body=body, headers={"Content-Range": rng, "ETag": ETAG})
        return await original(request, action)

    monkeypatch.setattr(assets, "send", grown)
    with pytest.raises(videoclient.ContentIntegrityError, match="later answer"):
        await client.videos.download("video_1", tmp_path / "v.mp4")
    assert leftovers(tmp_path) == []


# -- expiry ----------------------------------------------------------------------------------


async def test_an_expired_code_raises_video_expired_error(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """A 404 with code video_expired is a VideoExpiredError (a NotFoundError), no file left."""
    assets.script = ["expired"]
    with pytest.raises(videoclient.VideoExpiredError, match="expired") as info:
        await client.videos.download("video_1", tmp_path / "v.mp4")
    assert isinstance(info.value, videoclient.NotFoundError)
    assert info.value.status_code == 404
    assert leftovers(tmp_path) == []
    assert len(assets.requests) == 1  # the code says it all: no retrieve needed


@pytest.mark.parametrize("script", ["expired", "404"])
async def test_download_content_reports_expiry_too(
    client: AsyncVideoClient, assets: AssetServer, script: str
) -> None:
    """download_content() maps an expired asset's 404 as download() does."""
    assets.script = [script]
    assets.video = {"id": "video_1", "object": "video", "status": "completed", "expires_at": 1}
    with pytest.raises(videoclient.VideoExpiredError, match="expired"):
        await client.videos.download_content("video_1")


async def test_a_plain_404_checks_the_job_and_reports_expiry(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """A 404 without a code retrieves the job; an expires_at in the past means expired."""
    assets.script = ["404"]
    assets.video = {"id": "video_1", "object": "video", "status": "completed", "expires_at": 1}
    with pytest.raises(videoclient.VideoExpiredError, match="1970-01-01"):
        await client.videos.download("video_1", tmp_path / "v.mp4")
    assert [r["path"] for r in assets.requests] == [
        "/v1/videos/video_1/content",
        "/v1/videos/video_1",
    ]


@pytest.mark.parametrize(
    "video",
    [
        pytest.param(None, id="job-gone"),
        pytest.param(
            {"id": "video_1", "status": "completed", "expires_at": 4102444800}, id="not-expired"
        ),
    ],
)
async def test_a_plain_404_for_a_live_or_missing_job_stays_not_found(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path, video: dict[str, Any] | None
) -> None:
    """Only an expiry makes a 404 a VideoExpiredError; otherwise the NotFoundError stands."""
    assets.script = ["404"]
    assets.video = video
    with pytest.raises(videoclient.NotFoundError) as info:
        await client.videos.download("video_1", tmp_path / "v.mp4")
    assert not isinstance(info.value, videoclient.VideoExpiredError)


# -- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [pytest.param(302, id="302"), pytest.param(307, id="307")])
async def test_a_redirect_to_another_origin_carries_no_credentials(
    assets: AssetServer, storage: AssetServer, tmp_path: Path, status: int
) -> None:
    """302/307 to a signed URL on another port: followed, and no credentials are sent there."""
    assets.script = ["redirect"]
    assets.redirect_status = status
    assets.redirect_to = storage.origin + "/signed/video_1/content?sig=abc"
    async with AsyncVideoClient(
        KEY, base_url=assets.base_url, organization="org-1", default_headers={"x-trace": "t"}
    ) as c:
        path = await c.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == ASSET
    (api,) = assets.content_requests()
    (store,) = storage.content_requests()
    assert api["headers"]["Authorization"] == f"Bearer {KEY}"
    lowered = {k.lower(): v for k, v in store["headers"].items()}
    assert "authorization" not in lowered and "openai-organization" not in lowered
    assert KEY not in repr(store["headers"])
    assert lowered["x-trace"] == "t"  # non-credential headers still go


async def test_an_azure_key_is_not_sent_to_another_origin(
    assets: AssetServer, storage: AssetServer, tmp_path: Path
) -> None:
    """The api-key header of Azure-style clients is dropped on a cross-origin redirect too."""
    assets.script = ["redirect"]
    assets.redirect_to = storage.origin + "/signed/video_1/content"
    client = AsyncVideoClient.azure(endpoint=assets.origin, api_key=KEY)
    async with client as c:
        path = await c.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == ASSET
    assert assets.content_requests()[0]["headers"]["api-key"] == KEY
    lowered = {k.lower() for k in storage.content_requests()[0]["headers"]}
    assert "api-key" not in lowered and "authorization" not in lowered


async def test_a_same_origin_redirect_keeps_credentials(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """A redirect within the API's own origin still authenticates."""
    assets.script = ["redirect", "ok"]
    assets.redirect_to = assets.origin + "/v1/videos/video_1/stored/content"
    await client.videos.download("video_1", tmp_path / "v.mp4")
    second = assets.content_requests()[1]
    assert second["path"] == "/v1/videos/video_1/stored/content"
    assert second["headers"]["Authorization"] == f"Bearer {KEY}"


async def test_a_cut_after_a_redirect_resumes_through_the_api_again(
    client: AsyncVideoClient, assets: AssetServer, storage: AssetServer, tmp_path: Path
) -> None:
    """A resume asks the API again (fresh signed URL) and sends Range to the store only."""
    assets.script = ["redirect"]
    assets.redirect_to = storage.origin + "/signed/content"
    storage.script = ["cut", "ok"]
    path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == ASSET
    assert len(assets.content_requests()) == 2
    _, second = storage.content_requests()
    assert "Range" in second["headers"] and second["headers"]["If-Range"] == ETAG
    assert "Authorization" not in second["headers"]


# -- stream_content --------------------------------------------------------------------------


async def test_stream_content_yields_the_asset_with_its_metadata(
    client: AsyncVideoClient, assets: AssetServer
) -> None:
    """The stream's chunks add up to the asset; content_type/length/etag come from the server."""
    async with client.videos.stream_content("video_1") as stream:
        assert stream.content_type == "video/mp4"
        assert stream.content_length == len(ASSET)
        assert stream.etag == ETAG
        chunks = [chunk async for chunk in stream]
    assert b"".join(chunks) == ASSET
    assert max(map(len, chunks)) <= 256 * 1024 and len(chunks) > 1
    assert stream.bytes_read == len(ASSET)


async def test_stream_content_resumes_a_cut_transparently(
    client: AsyncVideoClient, assets: AssetServer
) -> None:
    """A cut mid-stream is resumed with Range; the consumer sees every byte exactly once."""
    assets.script = ["cut", "ok"]
    async with client.videos.stream_content("video_1") as stream:
        data = b"".join([chunk async for chunk in stream])
        assert stream.resumes == 1
    assert data == ASSET
    assert "Range" in assets.content_requests()[1]["headers"]


async def test_stream_content_skips_what_it_sent_when_the_server_restarts(
    client: AsyncVideoClient, assets: AssetServer
) -> None:
    """A 200 with the same ETag after a cut is read past the bytes already handed out."""
    assets.script = ["cut", "full"]
    async with client.videos.stream_content("video_1") as stream:
        data = b"".join([chunk async for chunk in stream])
    assert data == ASSET


async def test_stream_content_refuses_a_changed_asset_after_a_cut(
    client: AsyncVideoClient, assets: AssetServer
) -> None:
    """A whole answer with another ETag cannot continue a stream: ContentIntegrityError."""
    assets.script = ["cut", "full"]
    original = assets.send

    async def changed(request: web.Request, action: str) -> web.StreamResponse:
        if "Range" in request.headers:
            assets.etag = '"asset-v2"'
        return await original(request, action)

    assets.send = changed  # type: ignore[method-assign]

    async def consume() -> None:
        async with client.videos.stream_content("video_1") as stream:
            async for _ in stream:
                pass

    with pytest.raises(videoclient.ContentIntegrityError, match="ETag"):
        await consume()


async def test_stream_content_can_be_left_early(
    client: AsyncVideoClient, assets: AssetServer
) -> None:
    """Leaving the block before the end releases the connection; the client stays usable."""
    async with client.videos.stream_content("video_1") as stream:
        async for _ in stream:
            break
    async with client.videos.stream_content("video_1", variant="thumbnail") as stream:
        assert b"".join([c async for c in stream]) == ASSET


async def test_stream_content_checks_arguments_when_called(
    client: AsyncVideoClient, assets: AssetServer
) -> None:
    """Bad arguments raise at the call, before the block is entered and before any request."""
    with pytest.raises(ValueError, match="variant"):
        client.videos.stream_content("video_1", variant="gif")
    assert assets.requests == []


async def test_stream_content_expired(client: AsyncVideoClient, assets: AssetServer) -> None:
    """Entering the block for expired content raises VideoExpiredError."""
    assets.script = ["expired"]
    with pytest.raises(videoclient.VideoExpiredError):
        async with client.videos.stream_content("video_1"):
            pass


# -- transport: what the lead's download_content sees ----------------------------------------


async def test_download_content_reports_a_cut_as_a_connection_error(
    client: AsyncVideoClient, assets: AssetServer
) -> None:
    """A body cut inside transport.stream() is an APIConnectionError, not a generator error."""
    assets.script = ["cut"]
    with pytest.raises(videoclient.APIConnectionError):
        await client.videos.download_content("video_1")


async def test_a_target_that_appears_during_the_download_is_not_clobbered(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path
) -> None:
    """overwrite=False holds at the final rename too: a file created meanwhile is kept."""
    target = tmp_path / "v.mp4"

    def progress(done: int, total: int | None) -> None:
        if done and not target.exists():
            target.write_bytes(b"someone else's")

    with pytest.raises(FileExistsError, match="appeared during the download"):
        await client.videos.download("video_1", target, on_progress=progress)
    assert target.read_bytes() == b"someone else's"
    assert leftovers(tmp_path) == ["v.mp4"]


async def test_publishing_works_without_hard_links(
    client: AsyncVideoClient, assets: AssetServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system without hard links the finished file is renamed into place instead."""

    def no_links(src: Any, dst: Any) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == ASSET and leftovers(tmp_path) == ["v.mp4"]
