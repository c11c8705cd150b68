"""VideoClient against the real emulator over loopback: every kind of call, threads, a running
loop, Ctrl-C, and a client that is closed late or never."""

from __future__ import annotations

import _thread
import asyncio
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import videoclient
from tests.conftest import thread_running
from videoclient import APIConnectionError, NotFoundError, Video
from videoclient._sync.client import ContentStreamSync, Pager, VideoClient
from videoclient.emulator import SLOW_TRIGGER, Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-sync-client-test"
ONE = "/videos/{video_id}"


@pytest.fixture
def emu() -> Iterator[EmulatorThread]:
    config = EmulatorConfig(
        api_key=KEY, render_seconds=0.3, poll_after_min_ms=20, poll_after_max_ms=50
    )
    with Emulator(config).in_thread() as emulator:
        yield emulator


@pytest.fixture
def client(emu: EmulatorThread) -> Iterator[VideoClient]:
    c = VideoClient(KEY, base_url=emu.base_url)
    try:
        yield c
    finally:
        c.close()
        assert not c._portal.running


def make_video(client: VideoClient, prompt: str = "a paper boat") -> Video:
    return client.videos.create(prompt=prompt, size="64x64", seconds=4)


def tasks_on_loop(client: VideoClient) -> int:
    """Tasks alive on the client's loop, other than the portal's own and this probe."""

    async def count() -> int:
        return len(asyncio.all_tasks()) - 2

    return client._portal.call(count)


# -- operations -------------------------------------------------------------------------------


def test_each_call_returns_its_model(client: VideoClient, emu: EmulatorThread) -> None:
    """create/retrieve/list_page/poll/delete return models, one request each, from a plain thread."""
    video = make_video(client)
    assert isinstance(video, Video) and video.status in videoclient.PENDING_STATUSES
    assert client.videos.retrieve(video.id).id == video.id
    page = client.videos.list_page(limit=10)
    assert [v.id for v in page.data] == [video.id]
    done = client.videos.poll(video.id)
    assert done.status == "completed"
    assert client.videos.delete(video.id).deleted
    with pytest.raises(NotFoundError):
        client.videos.retrieve(video.id)
    assert emu.count("POST", "/v1/videos") == 1


def test_create_and_poll_then_download(
    client: VideoClient, emu: EmulatorThread, tmp_path: Path
) -> None:
    """create_and_poll waits for completion; download writes the exact asset; callbacks run off-thread."""
    seen: list[tuple[str, str]] = []

    def on_progress(video: Video) -> None:
        seen.append((video.status, threading.current_thread().name))

    done = client.videos.create_and_poll(
        prompt="a red kite", size="64x64", seconds=4, on_progress=on_progress
    )
    assert done.status == "completed"
    assert seen[-1][0] == "completed"
    callback_threads = {name for _, name in seen}
    assert threading.current_thread().name not in callback_threads
    assert not any(name.startswith("videoclient-loop") for name in callback_threads)

    progress: list[tuple[int, int | None]] = []
    path = client.videos.download(
        done.id, tmp_path, on_progress=lambda d, t: progress.append((d, t))
    )
    asset = emu.asset_bytes(done.id)
    assert path.read_bytes() == asset
    assert progress[-1] == (len(asset), len(asset))
    assert client.videos.download_content(done.id) == asset
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_generate_creates_waits_and_downloads(
    client: VideoClient, emu: EmulatorThread, tmp_path: Path
) -> None:
    """generate() does the whole job in one call; both of its callbacks run off-thread."""
    threads: set[str] = set()
    result = client.videos.generate(
        "a lighthouse",
        output=tmp_path,
        variants=("video", "thumbnail"),
        size="64x64",
        on_progress=lambda v: threads.add(threading.current_thread().name),
        on_download_progress=lambda d, t: threads.add(threading.current_thread().name),
    )
    assert result.video.status == "completed"
    assert result.files["video"].read_bytes() == emu.asset_bytes(result.video.id)
    assert result.files["thumbnail"].read_bytes() == emu.asset_bytes(result.video.id, "thumbnail")
    assert threads and threading.current_thread().name not in threads
    assert emu.jobs_created == 1


def test_a_callback_may_use_the_client(client: VideoClient) -> None:
    """A sync on_progress runs in a worker thread, so it can call the same sync client."""
    fetched: list[str] = []

    def on_progress(video: Video) -> None:
        fetched.append(client.videos.retrieve(video.id).id)

    done = client.videos.create_and_poll(prompt="x", size="64x64", on_progress=on_progress)
    assert fetched and set(fetched) == {done.id}


def test_list_is_a_lazy_sync_pager(client: VideoClient, emu: EmulatorThread) -> None:
    """list() iterates every job across pages, page by page on demand; pages() gives VideoPages."""
    ids = {make_video(client, f"job {i}").id for i in range(3)}
    pager = client.videos.list(limit=1)
    assert isinstance(pager, Pager)
    assert emu.count("GET", "/v1/videos") == 0
    assert {v.id for v in pager} == ids
    walked = emu.count("GET", "/v1/videos")
    assert walked >= 3
    pages = list(pager.pages())
    assert [len(p.data) for p in pages][:3] == [1, 1, 1]
    assert emu.count("GET", "/v1/videos") == 2 * walked
    for _ in client.videos.list(limit=1):
        break  # one item: one page fetched, the pager closed
    assert emu.count("GET", "/v1/videos") == 2 * walked + 1
    assert tasks_on_loop(client) == 0


def test_as_completed_and_wait_all(client: VideoClient) -> None:
    """as_completed yields each job once as it finishes; wait_all returns them in input order."""
    first, second = make_video(client, "one"), make_video(client, "two")
    finished = list(client.videos.as_completed([first.id, second.id]))
    assert sorted(v.id for v in finished) == sorted([first.id, second.id])
    assert {v.status for v in finished} == {"completed"}
    assert [v.id for v in client.videos.wait_all([second.id, first.id])] == [second.id, first.id]


def test_stream_content_is_a_with_block_of_chunks(client: VideoClient, emu: EmulatorThread) -> None:
    """stream_content gives a sync stream whose chunks add up to the asset."""
    done = client.videos.create_and_poll(prompt="stream me", size="64x64")
    asset = emu.asset_bytes(done.id)
    with client.videos.stream_content(done.id) as stream:
        assert isinstance(stream, ContentStreamSync)
        assert stream.content_type == "video/mp4"
        assert stream.content_length == len(asset)
        assert b"".join(stream) == asset
        assert stream.bytes_read == len(asset)
    assert tasks_on_loop(client) == 0


def test_raw_response_and_errors(client: VideoClient) -> None:
    """with_raw_response returns status and headers; API errors are raised in the caller."""
    video = make_video(client)
    raw = client.videos.with_raw_response.retrieve(video.id)
    assert raw.status_code == 200
    assert raw.request_id and raw.parse().id == video.id
    with pytest.raises(NotFoundError) as info:
        client.videos.retrieve("video_does_not_exist")
    assert info.value.status_code == 404


def test_constructors_mirror_the_async_ones(emu: EmulatorThread) -> None:
    """azure() and from_config() build sync clients that work; the key is in no repr."""
    with VideoClient.azure(endpoint=emu.url, api_key=KEY) as azure:
        assert azure.base_url.endswith("/openai/v1")
        assert isinstance(azure, VideoClient)
        video = make_video(azure)
        with VideoClient.from_config(azure.config) as again:
            assert again.videos.retrieve(video.id).id == video.id
        assert KEY not in repr(azure) and KEY not in repr(azure.config)
        assert repr(azure) == f"VideoClient(base_url={azure.base_url!r})"


# -- threads and loops ------------------------------------------------------------------------


def test_works_inside_a_running_event_loop(client: VideoClient) -> None:
    """Called from a coroutine on a running loop (as in Jupyter), the client still works."""

    async def notebook_cell() -> str:
        video = make_video(client)
        return client.videos.retrieve(video.id).status

    assert asyncio.run(notebook_cell()) in videoclient.PENDING_STATUSES


def test_eight_threads_share_one_client(client: VideoClient, emu: EmulatorThread) -> None:
    """Eight threads calling at once each get their own results, over one loop and session."""
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            video = client.videos.create(prompt=f"thread {n}", size="64x64")
            results[n] = client.videos.retrieve(video.id).id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(set(results.values())) == 8
    assert emu.count("POST", "/v1/videos") == 8
    assert emu.count("GET", route=ONE) == 8
    assert tasks_on_loop(client) == 0


# -- Ctrl-C -----------------------------------------------------------------------------------


def test_ctrl_c_during_a_download_leaves_no_file(
    client: VideoClient, emu: EmulatorThread, tmp_path: Path
) -> None:
    """KeyboardInterrupt mid-download cancels it: no temp or partial file, nothing left running."""
    done = client.videos.create_and_poll(prompt="big", size="64x64")
    chunks_written: list[int] = []

    async def on_progress(done_bytes: int, total: int | None) -> None:
        if done_bytes:  # after a chunk reached the temporary file
            chunks_written.append(done_bytes)
            names = [p.name async for p in anyio.Path(tmp_path).iterdir()]
            assert any(name.endswith(".part") for name in names)
            _thread.interrupt_main()  # Ctrl-C in the waiting thread
            await anyio.sleep_forever()

    target = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):
        client.videos.download(done.id, target, on_progress=on_progress)
    assert chunks_written
    assert list(tmp_path.iterdir()) == []
    assert tasks_on_loop(client) == 0
    # The client is intact: the same download now completes.
    assert client.videos.download(done.id, target).read_bytes() == emu.asset_bytes(done.id)


def test_ctrl_c_during_a_poll_stops_it(client: VideoClient, emu: EmulatorThread) -> None:
    """KeyboardInterrupt while polling ends the poll at once; no task keeps polling."""
    calls: list[str] = []

    def on_progress(video: Video) -> None:
        calls.append(video.id)
        if len(calls) == 1:
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        client.videos.create_and_poll(prompt=f"slow {SLOW_TRIGGER}", on_progress=on_progress)
    assert len(calls) >= 1
    assert tasks_on_loop(client) == 0
    assert emu.video(calls[0]).status in videoclient.PENDING_STATUSES


# -- lifetime ---------------------------------------------------------------------------------


def test_close_is_idempotent_and_final(emu: EmulatorThread) -> None:
    """close() stops the loop thread; again is a no-op; later calls raise 'closed'."""
    with VideoClient(KEY, base_url=emu.base_url) as c:
        make_video(c)
        thread = c._portal.thread
        assert thread is not None and thread.is_alive()
    assert not thread.is_alive()
    c.close()
    with pytest.raises(APIConnectionError, match="closed"):
        c.videos.retrieve("video_1")


def test_close_from_another_thread_ends_calls_in_flight(emu: EmulatorThread) -> None:
    """A call waiting in one thread raises 'closed' when another thread closes the client."""
    c = VideoClient(KEY, base_url=emu.base_url)
    video = make_video(c, f"slow {SLOW_TRIGGER}")
    polling = threading.Event()
    with thread_running(
        lambda: c.videos.poll(video.id, on_progress=lambda v: polling.set())
    ) as outcome:
        assert polling.wait(30)
        c.close()
    assert len(outcome) == 1 and isinstance(outcome[0], APIConnectionError)


def test_a_dropped_client_is_closed_by_the_garbage_collector(emu: EmulatorThread) -> None:
    """A client that is never closed stops its thread and session once it is collected."""
    c = VideoClient(KEY, base_url=emu.base_url)
    make_video(c)
    thread = c._portal.thread
    assert thread is not None
    del c
    gc.collect()
    thread.join(30)
    assert not thread.is_alive()


def test_an_unused_client_starts_no_thread() -> None:
    """Building a client starts nothing; the loop thread comes with the first call."""
    before = threading.active_count()
    c = VideoClient("sk-x", base_url="http://127.0.0.1:9/v1")
    assert c._portal.thread is None and threading.active_count() == before
    c.close()


def run_child(
    code: str, emu: EmulatorThread, args: list[str] | None = None, **kwargs: Any
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONDEVMODE": "", "URL": emu.base_url, "KEY": KEY}
    return subprocess.Popen(
        [sys.executable, "-W", "always", "-c", textwrap.dedent(code), *(args or [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


def test_interpreter_exit_without_close(emu: EmulatorThread) -> None:
    """A script that never closes its client exits with 0, quietly (no 'Unclosed' warning)."""
    child = run_child(
        """
        import os
        from videoclient._sync.client import VideoClient
        client = VideoClient(os.environ["KEY"], base_url=os.environ["URL"])
        video = client.videos.create(prompt="exit test", size="64x64")
        print(client.videos.retrieve(video.id).id)
        """,
        emu,
    )
    out, err = child.communicate(timeout=120)  # a hang fails here
    assert child.returncode == 0, err
    assert out.strip().startswith("video_")
    assert err == ""
    assert emu.count("POST", "/v1/videos") == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
@pytest.mark.parametrize("close", [True, False], ids=["close-then-exit", "exit"])
def test_a_forked_child_neither_uses_nor_waits_for_the_parents_client(
    emu: EmulatorThread, close: bool
) -> None:
    """In a forked child the inherited client refuses calls, closes and exits at once, and
    leaves the parent's connections alone (the parent's next call works)."""
    child = run_child(
        """
        import os, sys
        from videoclient import APIConnectionError
        from videoclient._sync.client import VideoClient
        client = VideoClient(os.environ["KEY"], base_url=os.environ["URL"])
        client.videos.list_page(limit=1)
        pid = os.fork()
        if pid == 0:
            try:
                client.videos.list_page(limit=1)
            except APIConnectionError as exc:
                print("child refused:", "create a new client after os.fork()" in str(exc))
            if len(sys.argv) > 1:
                client.close()
            sys.stdout.flush()
            sys.exit(0)  # runs the client's finalizer: must not wait for a loop it lacks
        _, status = os.waitpid(pid, 0)
        print("child exit", os.waitstatus_to_exitcode(status))
        client.videos.list_page(limit=1)  # the parent's client still works
        client.close()
        print("parent ok")
        """,
        emu,
        args=["close"] if close else [],
    )
    out, err = child.communicate(timeout=120)  # a hang fails here
    assert child.returncode == 0, err
    assert out.split("\n")[:3] == ["child refused: True", "child exit 0", "parent ok"], out
    assert "Unclosed" not in err


def test_close_from_a_callback_ends_the_call_without_waiting_for_it(
    emu: EmulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    """close() inside on_progress returns; the call ends 'closed'; the loop stops in time."""
    c = VideoClient(KEY, base_url=emu.base_url)
    video = make_video(c, f"slow {SLOW_TRIGGER}")
    thread = c._portal.thread
    with caplog.at_level("WARNING", logger="videoclient"):
        with pytest.raises(APIConnectionError, match="the client is closed"):
            c.videos.poll(video.id, on_progress=lambda v: c.close())
        c.close()  # waits for the stop the callback started
    assert thread is not None
    thread.join(30)
    assert not thread.is_alive()
    assert "did not stop in time" not in caplog.text


class StallingServer:
    """Sends the headers and the first KiB of a 1 MB body, then nothing (in its own thread)."""

    def __init__(self) -> None:
        self.base_url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        from aiohttp import web

        async def content(request: web.Request) -> web.StreamResponse:
            resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
            resp.content_length = 1_000_000
            await resp.prepare(request)
            await resp.write(b"x" * 1024)
            await asyncio.sleep(3600)  # cancelled when the server stops
            return resp

        async def start() -> web.AppRunner:
            app = web.Application()
            app.router.add_get("/v1/videos/{video_id}/content", content)
            runner = web.AppRunner(app, handler_cancellation=True)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
            return runner

        runner = self._loop.run_until_complete(start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def __enter__(self) -> StallingServer:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


def test_close_ends_a_stream_being_read_as_closed() -> None:
    """A stream blocked on its body, in another thread, ends 'the client is closed' on close()."""
    first = threading.Event()
    with StallingServer() as srv:
        c = VideoClient(KEY, base_url=srv.base_url)

        def reader() -> None:
            with c.videos.stream_content("video_1") as stream:
                for _ in stream:
                    first.set()

        with thread_running(reader) as outcome:
            assert first.wait(30)
            c.close()
    assert len(outcome) == 1 and isinstance(outcome[0], APIConnectionError), outcome
    assert "the client is closed" in str(outcome[0])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_real_sigint_during_a_download_leaves_no_file(emu: EmulatorThread, tmp_path: Path) -> None:
    """SIGINT to a process blocked in download() raises KeyboardInterrupt there; no file is left."""
    with VideoClient(KEY, base_url=emu.base_url) as c:
        done = c.videos.create_and_poll(prompt="sigint", size="64x64")
    child = run_child(
        f"""
        import os, sys, anyio
        from videoclient._sync.client import VideoClient

        async def on_progress(done, total):
            if done:
                print("READY", flush=True)
                await anyio.sleep_forever()

        client = VideoClient(os.environ["KEY"], base_url=os.environ["URL"])
        try:
            client.videos.download({done.id!r}, {str(tmp_path)!r}, on_progress=on_progress)
        except KeyboardInterrupt:
            print("INTERRUPTED", sorted(os.listdir({str(tmp_path)!r})), flush=True)
        client.close()
        """,
        emu,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "READY"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.strip() == "INTERRUPTED []"
    assert err == ""
    assert list(tmp_path.iterdir()) == []
