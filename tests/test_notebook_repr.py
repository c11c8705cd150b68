"""A Video shows itself in a notebook: an HTML card, and a player once the client downloaded it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from videoclient import AsyncVideoClient, Video, VideoError
from videoclient._sansio.display import DownloadRecord, video_html
from videoclient.emulator import Emulator, EmulatorConfig


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML fragment."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing open"

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def test_a_pending_job_shows_id_status_and_progress() -> None:
    """A job in progress: its id, status and a progress bar at its percentage; no player."""
    video = Video(id="video_nb_1", status="in_progress", progress=40, prompt="a kite <b>")
    page = Tags(video._repr_html_())
    assert not page.open  # every tag closed
    assert page.find("progress") == [{"value": "40", "max": "100", "style": "width:100%"}]
    text = "".join(page.text)
    assert (
        "video_nb_1" in text and "in_progress" in text and "a kite <b>" in text
    )  # escaped, as text
    assert not page.find("video") and not page.find("b")


def test_a_failed_job_shows_its_error_escaped() -> None:
    """The error's message and code show, and markup in it is text, not HTML."""
    error = VideoError(code="moderation_blocked", message="<script>alert(1)</script> blocked")
    html = Video(id="video_nb_2", status="failed", progress=30, error=error)._repr_html_()
    page = Tags(html)
    assert not page.find("script") and "<script>alert(1)</script> blocked" in "".join(page.text)
    assert "moderation_blocked" in "".join(page.text)


def test_the_player_uses_the_recorded_files() -> None:
    """With a downloaded MP4 and thumbnail, the card embeds a <video> with the thumbnail as poster."""
    record = DownloadRecord()
    record.record("video_nb_3", "video", "out/my boat.mp4")
    record.record("video_nb_3", "thumbnail", "out/my boat.webp")
    video = Video(id="video_nb_3", status="completed", progress=100)
    (player,) = Tags(video_html(video, record.files("video_nb_3"))).find("video")
    assert player["src"] == "out/my%20boat.mp4" and player["poster"] == "out/my%20boat.webp"
    assert "not downloaded" in video_html(video, {})


def test_the_record_keeps_only_recent_jobs() -> None:
    """The record is bounded: the oldest job is forgotten first."""
    record = DownloadRecord(limit=2)
    for n in range(3):
        record.record(f"video_{n}", "video", f"{n}.mp4")
    assert record.files("video_0") == {} and record.files("video_2") == {"video": "2.mp4"}


def test_mimebundle_has_html_and_plain_text() -> None:
    """_repr_mimebundle_ gives the card as text/html and the repr as text/plain."""
    video = Video(id="video_nb_4", status="queued")
    bundle = video._repr_mimebundle_()
    assert bundle == {"text/html": video._repr_html_(), "text/plain": repr(video)}


def test_showing_a_video_imports_nothing_from_jupyter() -> None:
    """The card needs no IPython: neither importing videoclient nor rendering loads it."""
    code = (
        "import sys, videoclient\n"
        "videoclient.Video(id='v', status='queued')._repr_html_()\n"
        "assert not [m for m in sys.modules if m.startswith(('IPython', 'ipykernel'))]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.fixture
async def client() -> AsyncIterator[AsyncVideoClient]:
    async with (
        Emulator(EmulatorConfig(render_seconds=0.1)) as emu,
        AsyncVideoClient(api_key="sk-nb", base_url=emu.base_url) as c,
    ):
        yield c


async def test_a_downloaded_video_plays_in_its_card(
    client: AsyncVideoClient, tmp_path: Path
) -> None:
    """After client.videos.download the Video's card plays the file it wrote, poster and all."""
    video = await client.videos.create_and_poll(
        prompt="a boat", size="64x64", seconds=1, poll_interval=0.05
    )
    assert not Tags(video._repr_html_()).find("video")
    mp4 = await client.videos.download(video, tmp_path / "boat.mp4")
    thumb = await client.videos.download(video, tmp_path / "boat.webp", variant="thumbnail")
    (player,) = Tags(video._repr_html_()).find("video")
    assert player["src"] == str(mp4) and player["poster"] == str(thumb)
