"""Large JSON answers (a finished Vertex operation with its video inline) are read once, in one buffer.

``read_capped`` is driven with a stand-in for aiohttp's response whose body arrives in
fresh pieces, as aiohttp's parser hands them out; memory is traced with ``tracemalloc``
(allocations, not time). The emulator's Vertex protocol then carries a video large enough
for that path, from the poll that sees it done to the file.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from videoclient import APIConnectionError, APIResponseValidationError, AsyncVideoClient
from videoclient._io.stream import WHOLE_MIN, read_capped
from videoclient._sansio.http import Request
from videoclient.emulator import Emulator, EmulatorConfig

KEY = "vx-large-key"
PIECE = 64 * 1024
REQ = Request("POST", "v1beta1/publishers/google/models/m:fetchPredictOperation")


class _Content:
    """aiohttp's StreamReader as read_capped uses it: each piece is a new bytes object."""

    def __init__(self, sizes: Iterator[int]) -> None:
        self._sizes = sizes

    def is_eof(self) -> bool:
        return False

    async def readany(self) -> bytes:
        return bytes(next(self._sizes, 0))

    async def read(self) -> bytes:  # aiohttp's: gathers every piece, then joins them
        pieces = []
        while piece := await self.readany():
            pieces.append(piece)
        return b"".join(pieces)


class _Raw:
    def __init__(self, total: int, *, declared: int | None = None, **headers: str) -> None:
        self.status = 200
        self.headers = headers
        self.content_length = total if declared is None else declared
        self.content = _Content(iter([PIECE] * (total // PIECE) + [total % PIECE]))


async def _peak(raw: Any, cap: int = 1 << 30) -> tuple[bytes | bytearray, int]:
    tracemalloc.start()
    try:
        body = await read_capped(raw, REQ, cap)
        return body, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_a_large_answer_is_held_once_while_it_is_read() -> None:
    """8 MiB of JSON in 64 KiB pieces: traced memory peaks near 1x (a join would need 2x)."""
    total = 8 * 1024 * 1024 + 123
    body, peak = await _peak(_Raw(total))
    assert peak < 1.3 * total
    assert len(body) == total and isinstance(body, bytearray)


async def test_a_small_answer_is_bytes_as_before() -> None:
    """Below WHOLE_MIN the answer is read as aiohttp reads it, and is bytes."""
    body, _ = await _peak(_Raw(WHOLE_MIN - 1))
    assert isinstance(body, bytes) and len(body) == WHOLE_MIN - 1


async def test_a_large_answer_that_ends_short_is_a_connection_error() -> None:
    """Fewer bytes than Content-Length: APIConnectionError (retried like any broken read)."""
    with pytest.raises(APIConnectionError, match="broke off after"):
        await _peak(_Raw(2 * WHOLE_MIN, declared=2 * WHOLE_MIN + 10))


async def test_a_compressed_answer_over_the_cap_is_refused_as_it_grows() -> None:
    """No usable length (gzip): the cap is checked piece by piece."""
    raw = _Raw(3 * WHOLE_MIN, declared=None, **{"Content-Encoding": "gzip"})
    raw.content_length = None
    with pytest.raises(APIResponseValidationError, match="exceeds"):
        await _peak(raw, cap=2 * WHOLE_MIN)


async def test_a_multi_mib_inline_video_goes_from_the_poll_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 3 MiB video inline: the poll that sees done reads it once, and download decodes
    that answer (in 1 MiB pieces) into the file without another request."""
    import base64

    import videoclient.emulator.protocols.vertex as emu_vertex

    video = os.urandom(3 * 1024 * 1024 + 5)
    monkeypatch.setattr(emu_vertex, "_b64", lambda path: base64.b64encode(video).decode())
    cfg = EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8)
    async with Emulator(cfg) as emu, AsyncVideoClient.vertex(KEY, base_url=emu.url) as client:
        job = await client.videos.create(prompt="a large one", size="1280x720", seconds=4)
        done = await client.videos.poll(job, poll_interval=0.05, timeout=20)
        assert done.extra["videos"][0]["size"] == len(video)
        sent = emu.count()
        path = await client.videos.download(done, tmp_path / "big.mp4")
        assert emu.count() == sent and path.read_bytes() == video
        assert os.listdir(tmp_path) == ["big.mp4"]
