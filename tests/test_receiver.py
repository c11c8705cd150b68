"""Raw body reads for large downloads: BodyReceiver alone, then through download().

The unit tests drive :class:`BodyReceiver` as the event loop would (``get_buffer`` then
``buffer_updated``) with a fake transport that records pauses and closes. The
integration tests download over real sockets, from a scripted loopback server and from
the emulator, and check the body was handed over and arrived byte for byte.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import videoclient
from videoclient import AsyncVideoClient
from videoclient._client import body as _body
from videoclient._client import transfers as _transfers
from videoclient._io import filewriter as _filewriter
from videoclient._io import receiver as _receiver
from videoclient._io.receiver import BodyReceiver
from videoclient.emulator import Emulator, EmulatorConfig

KEY = "sk-test-SECRET-receiver"
DATA = bytes(range(256)) * 64  # 16 KiB


class FakeTransport:
    """Records what a protocol asks of its transport."""

    def __init__(self) -> None:
        self.paused = True  # handed over paused, as the transport does
        self.pauses = 0
        self.closed = False
        self.aborted = False

    def pause_reading(self) -> None:
        self.paused, self.pauses = True, self.pauses + 1

    def resume_reading(self) -> None:
        self.paused = False

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True


def feed(receiver: BodyReceiver, data: bytes, step: int = 1000) -> int:
    """Deliver ``data`` as the loop would, ``step`` bytes per read; returns bytes taken."""
    taken = 0
    while taken < len(data):
        buf = receiver.get_buffer(-1)
        n = min(len(buf), step, len(data) - taken)
        buf[:n] = data[taken : taken + n]
        receiver.buffer_updated(n)
        taken += n
    return taken


async def drain(receiver: BodyReceiver) -> bytes:
    out = bytearray()
    while (view := await receiver.next()) is not None:
        out += view
        receiver.recycle(view)
    return bytes(out)


async def test_buffers_come_out_full_in_order_and_end_with_none() -> None:
    """The body comes out in buffer-sized pieces, in order, then None."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096, max_ready=8)
    transport = FakeTransport()
    receiver.start(transport, b"")  # type: ignore[arg-type]
    assert transport.paused is False
    feed(receiver, DATA)
    sizes = []
    out = bytearray()
    while (view := await receiver.next()) is not None:
        sizes.append(len(view))
        out += view
        receiver.recycle(view)
    assert bytes(out) == DATA and sizes == [4096] * 4
    assert transport.paused is True  # the body is complete: nothing more is read


async def test_bytes_read_before_the_hand_over_come_first() -> None:
    """The head aiohttp had already read is handed out before the socket's bytes."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096, max_ready=8)
    receiver.start(FakeTransport(), DATA[:5000])  # type: ignore[arg-type]
    feed(receiver, DATA[5000:])
    assert await drain(receiver) == DATA


async def test_reading_pauses_while_full_buffers_wait_and_resumes_when_taken() -> None:
    """With max_ready buffers unconsumed the transport is paused; taking one resumes it."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096, max_ready=2)
    transport = FakeTransport()
    receiver.start(transport, b"")  # type: ignore[arg-type]
    feed(receiver, DATA[:8192])
    assert transport.paused is True and transport.pauses == 1
    view = await receiver.next()
    assert view is not None and bytes(view) == DATA[:4096]
    assert transport.paused is False
    receiver.recycle(view)


async def test_recycled_buffers_are_filled_again() -> None:
    """A buffer given back is reused for the next bytes instead of a new allocation."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096, max_ready=1)
    receiver.start(FakeTransport(), b"")  # type: ignore[arg-type]
    feed(receiver, DATA[:4096])
    first = await receiver.next()
    assert first is not None
    owner = first.obj
    receiver.recycle(first)
    feed(receiver, DATA[4096:8192])
    second = await receiver.next()
    assert second is not None and second.obj is owner and bytes(second) == DATA[4096:8192]


async def test_buffers_double_while_they_fill_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each buffer filled faster than GROW_RATE makes the next twice as large, up to the max."""
    monkeypatch.setattr(_receiver, "MIN_BUFFER_SIZE", 1024)
    monkeypatch.setattr(_receiver, "GROW_RATE", 1)  # any fill is fast
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096, max_ready=9)
    receiver.start(FakeTransport(), b"")  # type: ignore[arg-type]
    feed(receiver, DATA, step=512)
    sizes = []
    while (view := await receiver.next()) is not None:
        sizes.append(len(view))
    assert sizes == [1024, 2048, 4096, 4096, 4096, 1024]  # the last is the body's rest


async def test_buffers_stay_small_while_they_fill_slowly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Buffers that fill slower than GROW_RATE keep their size (concurrent slow downloads)."""
    monkeypatch.setattr(_receiver, "MIN_BUFFER_SIZE", 1024)
    monkeypatch.setattr(_receiver, "GROW_RATE", 1e30)
    receiver = BodyReceiver(8192, url="u", idle_timeout=None, buffer_size=4096, max_ready=9)
    receiver.start(FakeTransport(), b"")  # type: ignore[arg-type]
    feed(receiver, DATA[:8192], step=512)
    sizes = []
    while (view := await receiver.next()) is not None:
        sizes.append(len(view))
    assert sizes == [1024] * 8


async def test_no_byte_past_the_declared_length_is_taken() -> None:
    """Buffers offered never reach past the body; extra bytes are dropped."""
    receiver = BodyReceiver(5000, url="u", idle_timeout=None, buffer_size=4096, max_ready=8)
    receiver.start(FakeTransport(), b"")  # type: ignore[arg-type]
    first = receiver.get_buffer(-1)
    assert len(first) == 4096
    feed(receiver, DATA[:4096])
    assert len(receiver.get_buffer(-1)) == 5000 - 4096
    feed(receiver, DATA[4096:5000])
    extra = receiver.get_buffer(-1)
    extra[:10] = b"x" * 10
    receiver.buffer_updated(10)
    assert await drain(receiver) == DATA[:5000]


async def test_a_short_body_hands_out_what_arrived_then_raises() -> None:
    """A connection lost early: every received byte first, then APIConnectionError."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096, max_ready=8)
    receiver.start(FakeTransport(), b"")  # type: ignore[arg-type]
    feed(receiver, DATA[:6000])
    receiver.connection_lost(None)
    out = bytearray()
    while receiver._ready:
        view = await receiver.next()
        assert view is not None
        out += view
    assert bytes(out) == DATA[:6000]
    with pytest.raises(videoclient.APIConnectionError, match="mid-body"):
        await receiver.next()


async def test_a_clean_end_after_every_byte_is_not_an_error() -> None:
    """The server closing after the last byte is the normal end."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096, max_ready=8)
    receiver.start(FakeTransport(), b"")  # type: ignore[arg-type]
    feed(receiver, DATA)
    receiver.connection_lost(None)
    assert await drain(receiver) == DATA


async def test_silence_past_the_idle_timeout_is_a_timeout_and_aborts() -> None:
    """No byte for idle_timeout: APITimeoutError, and the connection is aborted."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=0.05, buffer_size=4096)
    transport = FakeTransport()
    receiver.start(transport, b"")  # type: ignore[arg-type]
    with pytest.raises(videoclient.APITimeoutError, match="read timeout"):
        await asyncio.wait_for(drain(receiver), 10)
    assert transport.aborted


async def test_time_paused_for_the_consumer_is_not_silence() -> None:
    """While reading is paused because buffers wait, the idle clock does not run out."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=0.05, buffer_size=4096, max_ready=1)
    transport = FakeTransport()
    receiver.start(transport, b"")  # type: ignore[arg-type]
    feed(receiver, DATA[:4096])
    await asyncio.sleep(0.2)  # the consumer is slow; reading is paused meanwhile
    view = await receiver.next()
    assert view is not None and not transport.aborted
    receiver.recycle(view)
    receiver.close()
    assert transport.closed


async def test_a_failed_hand_over_delivers_the_head_then_the_error() -> None:
    """fail(): the bytes read before are handed out, then the error (a resume follows)."""
    receiver = BodyReceiver(len(DATA), url="u", idle_timeout=None, buffer_size=4096)
    receiver.fail(videoclient.APIConnectionError("could not take over"))
    receiver.start(None, DATA[:100])
    view = await receiver.next()
    assert view is not None and bytes(view) == DATA[:100]
    with pytest.raises(videoclient.APIConnectionError, match="take over"):
        await receiver.next()


# -- through download(), over sockets ---------------------------------------------------------


def _big() -> bytes:
    return hashlib.sha256(b"seed").digest() * (6 * 1024 * 1024 // 32) + b"end"


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The body lengths handed over to a BodyReceiver during the test."""
    seen: list[int] = []
    start = BodyReceiver.start

    def counting(self: BodyReceiver, transport: Any, head: bytes) -> None:
        seen.append(self._left)
        start(self, transport, head)

    monkeypatch.setattr(BodyReceiver, "start", counting)
    return seen


@pytest.fixture
async def big_server(sleeps: list[float]) -> AsyncIterator[Any]:
    """The scripted asset server of test_transfers, with a 6 MiB asset."""
    from tests.test_transfers import AssetServer, serving

    async with serving(AssetServer(data=_big())) as srv:
        yield srv


async def test_a_large_download_is_read_raw_and_exact(
    big_server: Any, handed: list[int], tmp_path: Path
) -> None:
    """A body over RAW_MIN is handed over whole and the file is byte-identical."""
    data = big_server.data
    assert len(data) >= _body.RAW_MIN
    async with AsyncVideoClient(KEY, base_url=big_server.base_url) as client:
        path = await client.videos.download("video_1", tmp_path / "v.mp4")
        assert path.read_bytes() == data
        assert handed == [len(data)]
        # The taken-over connection is closed, not pooled: the client goes on working.
        again = await client.videos.download("video_1", tmp_path / "w.mp4")
        assert again.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4", "w.mp4"]


async def test_a_cut_raw_download_resumes_with_range(
    big_server: Any, handed: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cut in a raw read resumes with Range; the (large) rest is handed over too."""
    monkeypatch.setattr(_body, "RAW_MIN", 1024 * 1024)
    data = big_server.data
    big_server.script = ["cut", "ok"]
    async with AsyncVideoClient(KEY, base_url=big_server.base_url) as client:
        path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == data
    _, second = big_server.content_requests()
    offset = int(second["headers"]["Range"].removeprefix("bytes=").rstrip("-"))
    assert handed == [len(data), len(data) - offset]
    assert offset >= len(data) // 2 - _receiver.BUFFER_SIZE


async def test_a_large_download_over_tls_is_read_raw_and_exact(
    self_signed: tuple[Path, Path], handed: list[int], tmp_path: Path, sleeps: list[float]
) -> None:
    """The hand-over works on a TLS connection too (asyncio's SSL transport)."""
    from tests.test_transfers import AssetServer, serving

    cert, key = self_signed
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    async with serving(AssetServer(data=_big()), tls) as srv:
        assert srv.base_url.startswith("https://")
        async with AsyncVideoClient(KEY, base_url=srv.base_url, ssl=str(cert)) as client:
            path = await client.videos.download("video_1", tmp_path / "v.mp4")
            assert (await client.videos.download_content("video_1")) == srv.data
    assert path.read_bytes() == srv.data and handed == [len(srv.data)]


async def test_writes_move_to_a_thread_once_one_is_slow(
    big_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes are made in the loop until one takes over SLOW_WRITE; later large ones go to a thread."""
    loop = asyncio.get_running_loop()
    real = loop.run_in_executor
    writes: list[int] = []

    def spy(executor: Any, fn: Any, *args: Any) -> Any:
        if getattr(fn, "__name__", "") == "_write_sliced":
            writes.append(len(args[1]))
        return real(executor, fn, *args)

    monkeypatch.setattr(loop, "run_in_executor", spy)
    big = big_server.data
    async with AsyncVideoClient(KEY, base_url=big_server.base_url) as client:
        monkeypatch.setattr(_filewriter, "_write_clock", lambda: 0.0)  # every write instant
        fast = await client.videos.download("video_1", tmp_path / "fast.mp4")
        assert fast.read_bytes() == big and writes == []  # a quick disk: no thread hop
        ticks = iter(range(0, 10**6, 1))  # each reading of the write clock: one more second
        monkeypatch.setattr(_filewriter, "_write_clock", lambda: float(next(ticks)))
        slow = await client.videos.download("video_1", tmp_path / "slow.mp4")
    assert slow.read_bytes() == big
    # The first write was timed as slow; every later write above INLINE_WRITE went to a thread.
    assert writes and all(n > _filewriter.INLINE_WRITE for n in writes)
    assert len(big) - sum(writes) <= _receiver.MIN_BUFFER_SIZE + _filewriter.INLINE_WRITE


class RecordedWrites:
    """Every write a download makes to its file: ``(file offset, length)`` and a tick count."""

    def __init__(self) -> None:
        self.writes: list[tuple[int, int]] = []
        self.ticks_seen: list[int] = []
        self.ticks = 0


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> RecordedWrites:
    """Records the writes of every file ``_transfers`` opens."""
    rec = RecordedWrites()
    real_open = open

    class Recording:
        def __init__(self, fh: Any) -> None:
            self._fh = fh

        def write(self, data: Any) -> int:
            rec.writes.append((self._fh.tell(), len(data)))
            rec.ticks_seen.append(rec.ticks)
            return int(self._fh.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

    monkeypatch.setattr(
        _transfers, "open", lambda *a, **k: Recording(real_open(*a, **k)), raising=False
    )
    return rec


async def test_writes_in_the_loop_go_in_slices_with_other_tasks_between(
    big_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded: RecordedWrites
) -> None:
    """No write in the loop is larger than WRITE_SLICE; other tasks run every YIELD_EVERY bytes."""
    monkeypatch.setattr(_filewriter, "WRITE_SLICE", 16 * 1024)
    monkeypatch.setattr(_filewriter, "YIELD_EVERY", 16 * 1024)

    async def ticker() -> None:
        while True:
            recorded.ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        async with AsyncVideoClient(KEY, base_url=big_server.base_url) as client:
            path = await client.videos.download("video_1", tmp_path / "v.mp4")
    finally:
        task.cancel()
    assert path.read_bytes() == big_server.data
    sizes = [n for _, n in recorded.writes]
    assert sizes and max(sizes) <= 16 * 1024 and sum(sizes) == len(big_server.data)
    # Other tasks ran between any two slices of one buffer; only where one buffer ends and
    # the next, already received, begins may two writes follow each other directly.
    seen = recorded.ticks_seen
    back_to_back = sum(a == b for a, b in itertools.pairwise(seen))
    assert back_to_back <= len(seen) // 4, (back_to_back, len(seen))


def _crossed_boundaries(writes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The writes with an offset ``PAGE_SIZE + k * WRITE_SLICE`` strictly inside them."""
    page, step = _filewriter.PAGE_SIZE, _filewriter.WRITE_SLICE
    bad = []
    for at, n in writes:
        after_first = max(at + 1, page)  # the first boundary that could lie inside
        first = page + -(-(after_first - page) // step) * step
        if first < at + n:
            bad.append((at, n))
    return bad


@pytest.mark.parametrize("threaded", [False, True], ids=["loop-writes", "thread-writes"])
async def test_download_writes_start_on_odd_pages(
    big_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorded: RecordedWrites,
    threaded: bool,
) -> None:
    """Writes end at PAGE_SIZE + k * WRITE_SLICE: the first is one page, none crosses a cut."""
    if threaded:  # every write is timed as slow: later ones go to a worker thread
        ticks = iter(range(10**6))
        monkeypatch.setattr(_filewriter, "_write_clock", lambda: float(next(ticks)))
    async with AsyncVideoClient(KEY, base_url=big_server.base_url) as client:
        path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == big_server.data
    writes = recorded.writes
    assert writes[0] == (0, _filewriter.PAGE_SIZE)
    assert [at for at, _ in writes] == list(itertools.accumulate([0] + [n for _, n in writes[:-1]]))
    assert _crossed_boundaries(writes) == []
    assert max(n for _, n in writes) == _filewriter.WRITE_SLICE


async def test_small_bodies_stay_on_the_pooled_connection(
    big_server: Any, handed: list[int], tmp_path: Path
) -> None:
    """Below RAW_MIN nothing is taken over (the connection stays reusable)."""
    big_server.data = DATA
    async with AsyncVideoClient(KEY, base_url=big_server.base_url) as client:
        path = await client.videos.download("video_1", tmp_path / "v.mp4")
    assert path.read_bytes() == DATA and handed == []


async def test_emulator_downloads_read_raw_are_byte_identical(
    monkeypatch: pytest.MonkeyPatch, handed: list[int], tmp_path: Path
) -> None:
    """Against the emulator, raw reads (forced for small assets) give its exact files."""
    monkeypatch.setattr(_body, "RAW_MIN", 1)
    monkeypatch.setattr(_receiver, "BUFFER_SIZE", 4096)
    cfg = EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8)
    async with Emulator(cfg) as emu, AsyncVideoClient(KEY, base_url=emu.base_url) as client:
        video = await client.videos.create_and_poll(prompt="a boat", size="64x64", seconds=4)
        for variant in ("video", "thumbnail", "spritesheet"):
            path = await client.videos.download(video, tmp_path, variant=variant)
            assert path.read_bytes() == await emu.asset_bytes(video.id, variant), variant
        assert len(handed) == 3
        assert (await client.videos.retrieve(video.id)).status == "completed"


@pytest.mark.parametrize("pos", [0, 1, 4095, 4096, 4097, 300_000, 262_144 + 4096])
def test_thread_writes_go_in_the_same_pieces(pos: int) -> None:
    """A write handed to a worker thread is cut as in the loop (``_pieces``), in order."""
    data = bytes(range(256)) * 4000  # about 1 MiB
    pieces: list[bytes] = []

    class Sink:
        def write(self, piece: Any) -> int:
            pieces.append(bytes(piece))
            return len(piece)

    _filewriter._write_sliced(Sink(), memoryview(data), pos)  # type: ignore[arg-type]
    assert b"".join(pieces) == data
    assert [len(p) for p in pieces] == [
        end - start for start, end in _filewriter._pieces(pos, len(data))
    ]


def test_pieces_tile_the_write_and_end_at_odd_page_cuts() -> None:
    """Pieces are contiguous, at most WRITE_SLICE, and end only at PAGE_SIZE + k * WRITE_SLICE."""
    page, step = _filewriter.PAGE_SIZE, _filewriter.WRITE_SLICE
    assert step % (2 * page) == 0  # every cut is on an odd page
    positions = [0, 1, page - 1, page, page + 1, step, step + page, 3 * step + 5, 10**9 + 7]
    for pos in positions:
        for length in (1, page - 1, page, step - 1, step, step + page + 1, 5 * step + 3):
            pieces = list(_filewriter._pieces(pos, length))
            assert pieces[0][0] == 0 and pieces[-1][1] == length
            assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
            assert all(0 < end - start <= step for start, end in pieces)
            for _, end in pieces[:-1]:
                assert (pos + end - page) % step == 0, (pos, length, end)
            assert _crossed_boundaries([(pos + s, e - s) for s, e in pieces]) == []
    assert list(_filewriter._pieces(0, 0)) == []
