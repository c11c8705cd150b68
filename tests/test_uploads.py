"""Uploads: files stream from disk in bounded reads, report progress, and are checked first.

A loopback aiohttp server reads each multipart body as a stream and hashes the file part,
so a test can show the bytes arrived intact while the client never read the file whole.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import videoclient._io.sources as files_mod
from tests.conftest import serving_all
from videoclient import AsyncVideoClient
from videoclient._io.upload import UPLOAD_CHUNK

KEY = "sk-test-SECRET-uploads"
MIB = 1024 * 1024
VIDEO_JSON = {"id": "video_9", "object": "video", "status": "queued"}


class UploadServer:
    """Accepts multipart POSTs, hashing each file part as it streams in."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_first = 0
        self.server: TestServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1"))

    async def handle(self, request: web.Request) -> web.Response:
        record: dict[str, Any] = {"path": request.path, "headers": dict(request.headers)}
        self.requests.append(record)
        if request.content_type == "application/json":
            record["json"] = await request.json()
            return web.json_response(VIDEO_JSON)
        if self.fail_first:
            self.fail_first -= 1
            await request.read()
            return web.json_response({"error": {"message": "try again"}}, status=500)
        parts: dict[str, Any] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, aiohttp.BodyPartReader)
            if part.filename is None:
                parts[part.name or ""] = (await part.read()).decode()
                continue
            digest, size = hashlib.sha256(), 0
            while chunk := await part.read_chunk(MIB):
                digest.update(chunk)
                size += len(chunk)
            parts[part.name or ""] = {
                "filename": part.filename,
                "content_type": part.headers.get("Content-Type"),
                "sha256": digest.hexdigest(),
                "size": size,
            }
        record["parts"] = parts
        return web.json_response(VIDEO_JSON)


@pytest.fixture
async def uploads(sleeps: list[float]) -> AsyncIterator[UploadServer]:
    async with serving_all(UploadServer()) as srv:
        yield srv


@pytest.fixture
async def client(uploads: UploadServer) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient(KEY, base_url=uploads.base_url) as c:
        yield c


def png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def sparse_mp4(path: Path, size: int) -> str:
    """Write an MP4-looking sparse file of ``size`` bytes fast; return its sha256."""
    with open(path, "wb") as fh:
        fh.write(MP4_HEAD)
        fh.truncate(size)
    digest = hashlib.sha256(MP4_HEAD)
    zeros = bytes(MIB)
    left = size - len(MP4_HEAD)
    while left:
        n = min(left, MIB)
        digest.update(zeros[:n])
        left -= n
    return digest.hexdigest()


class CountingFile(io.FileIO):
    """A raw file that records the size asked for by every read."""

    reads: list[int]

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


async def test_a_64_mib_upload_streams_in_bounded_reads(
    client: AsyncVideoClient,
    uploads: UploadServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 64 MiB video goes up intact while no read of the file asks for more than one chunk."""
    size = 64 * MIB
    path = tmp_path / "big.mp4"
    expected = sparse_mp4(path, size)
    reads: list[int] = []

    def counting_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> CountingFile:
        assert mode == "rb"
        fh = CountingFile(file, "r")
        fh.reads = reads
        return fh

    monkeypatch.setattr(files_mod, "open", counting_open, raising=False)
    progress: list[tuple[int, int]] = []
    video = await client.videos.edit(
        video=path, prompt="longer", on_upload_progress=lambda d, t: progress.append((d, t))
    )
    assert video.id == "video_9"
    (req,) = uploads.requests
    part = req["parts"]["video"]
    assert part == {
        "filename": "big.mp4",
        "content_type": "video/mp4",
        "sha256": expected,
        "size": size,
    }
    assert reads and all(0 < n <= UPLOAD_CHUNK for n in reads), "the file was read whole"
    assert len(reads) >= size // UPLOAD_CHUNK
    total = int(req["headers"]["Content-Length"])
    assert progress[-1] == (total, total)


async def test_upload_progress_counts_the_body_up_to_content_length(
    client: AsyncVideoClient, uploads: UploadServer
) -> None:
    """on_upload_progress gets growing counts ending at the body's Content-Length."""
    calls: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        calls.append((done, total))

    data = png(64, 64)
    await client.videos.create(
        prompt="a red square", size="64x64", input_reference=data, on_upload_progress=progress
    )
    (req,) = uploads.requests
    total = int(req["headers"]["Content-Length"])
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (total, total)
    assert {t for _, t in calls} == {total}
    assert req["parts"]["input_reference"]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_a_retried_upload_reports_progress_again_from_the_start(
    client: AsyncVideoClient, uploads: UploadServer, tmp_path: Path
) -> None:
    """After a 500 the body is streamed again from disk and its progress restarts."""
    uploads.fail_first = 1
    path = tmp_path / "clip.mp4"
    sparse_mp4(path, 3 * UPLOAD_CHUNK + 5)
    calls: list[int] = []
    await client.videos.edit(
        video=path, prompt="p", on_upload_progress=lambda d, t: calls.append(d)
    )
    assert len(uploads.requests) == 2
    total = int(uploads.requests[1]["headers"]["Content-Length"])
    assert calls.count(total) == 2
    restart = calls.index(total) + 1
    assert calls[restart] < total and calls[restart:] == sorted(calls[restart:])


async def test_an_error_in_the_upload_progress_callback_propagates_unretried(
    client: AsyncVideoClient, uploads: UploadServer, tmp_path: Path, sleeps: list[float]
) -> None:
    """The callback's own exception comes out as itself, and the upload is not tried again."""
    path = tmp_path / "clip.mp4"
    sparse_mp4(path, 3 * UPLOAD_CHUNK + 5)

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done > UPLOAD_CHUNK:
            raise Stop("enough")

    with pytest.raises(Stop, match="enough"):
        await client.videos.edit(video=path, prompt="p", on_upload_progress=progress)
    assert sleeps == []  # no retry was waited for
    assert len(uploads.requests) <= 1


async def test_upload_progress_must_be_callable(
    client: AsyncVideoClient, uploads: UploadServer
) -> None:
    """A non-callable on_upload_progress is a TypeError before any request."""
    with pytest.raises(TypeError, match="on_upload_progress"):
        await client.videos.create(prompt="p", on_upload_progress="yes")  # type: ignore[arg-type]
    assert uploads.requests == []


@pytest.mark.parametrize(
    ("image", "size", "match"),
    [
        pytest.param(png(64, 48), "64x64", "64x48 but size is 64x64", id="png-too-short"),
        pytest.param(png(48, 64), (64, 48), "48x64 but size is 64x48", id="png-transposed"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "64x64", "cannot read", id="corrupt-png"),
    ],
)
async def test_a_wrong_size_reference_fails_before_any_request(
    client: AsyncVideoClient, uploads: UploadServer, image: bytes, size: Any, match: str
) -> None:
    """A reference image whose dimensions differ from size= is a ValueError; nothing is sent."""
    with pytest.raises(ValueError, match=match) as info:
        await client.videos.create(prompt="p", size=size, input_reference=image)
    assert "match the requested width and height" in str(info.value) or match == "cannot read"
    assert uploads.requests == []


async def test_a_reference_of_the_right_size_is_uploaded_unchanged(
    client: AsyncVideoClient, uploads: UploadServer, tmp_path: Path
) -> None:
    """A reference that matches size= goes up byte for byte with its own name and type."""
    data = png(64, 36)
    path = tmp_path / "ref.png"
    path.write_bytes(data)
    await client.videos.create(prompt="p", size="64x36", input_reference=path)
    (req,) = uploads.requests
    part = req["parts"]["input_reference"]
    assert part["filename"] == "ref.png" and part["content_type"] == "image/png"
    assert part["sha256"] == hashlib.sha256(data).hexdigest()
    assert req["parts"]["size"] == "64x36"


async def test_a_reference_without_size_is_not_checked(
    client: AsyncVideoClient, uploads: UploadServer
) -> None:
    """Without size= the server's default size applies, which the client cannot know."""
    await client.videos.create(prompt="p", input_reference=png(10, 10))
    assert len(uploads.requests) == 1


async def test_a_reference_object_is_sent_as_json_without_checks(
    client: AsyncVideoClient, uploads: UploadServer
) -> None:
    """{"image_url": ...} cannot be measured locally: sent as JSON; fit= with it is refused."""
    ref = {"image_url": "https://img.example/y.png"}
    with pytest.raises(ValueError, match="reference object"):
        await client.videos.create(prompt="p", size="64x64", input_reference=ref, fit="cover")
    assert uploads.requests == []
    await client.videos.create(prompt="p", size="64x64", input_reference=ref)
    (req,) = uploads.requests
    assert req["json"]["input_reference"] == ref
