"""A batch's contact sheet (index.html): written by ``batch``, rebuilt by ``gallery``, seen in a browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from videoclient.batch._gallery import Card, render_gallery
from videoclient.cli._app import cli
from videoclient.emulator import FAIL_TRIGGER, Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-gallery"
CARD = re.compile(r'<figure class="card" data-line="(\d+)" data-status="(\w+)"')


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.1, api_key=KEY)).in_thread() as e:
        yield e


def invoke(emu: EmulatorThread, *args: str) -> Result:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture(scope="module")
def sheet(emu: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished batch of three lines (one failed): its output directory."""
    root = tmp_path_factory.mktemp("gallery")
    lines = [
        {"prompt": "a paper boat <on> a rainy street", "size": "320x180", "seconds": 2},
        {"prompt": f"a red kite {FAIL_TRIGGER}", "size": "320x180"},
        {"prompt": "a lighthouse at dusk", "size": "320x180"},
    ]
    (root / "p.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = root / "videos"
    result = invoke(
        emu, "batch", str(root / "p.jsonl"), "--out", str(out), "--poll-interval", "0.05"
    )
    assert result.exit_code == 1, result.output  # one line failed
    assert f"contact sheet: {out / 'index.html'}" in result.stdout
    return out


def cards(page: str) -> list[tuple[int, str]]:
    return [(int(n), s) for n, s in CARD.findall(page)]


def test_batch_writes_a_card_per_line_with_thumbnails(sheet: Path) -> None:
    """index.html has one card per line, thumbnails beside the videos, links, the error."""
    page = (sheet / "index.html").read_text()
    assert cards(page) == [(1, "completed"), (2, "failed"), (3, "completed")]
    thumbs = sorted(p.name for p in sheet.glob("*.thumbnail.webp"))
    assert thumbs == [
        "0001-a-paper-boat-on-a-rainy.thumbnail.webp",
        "0003-a-lighthouse-at-dusk.thumbnail.webp",
    ]
    for name in thumbs:
        assert f'<img src="{name}"' in page
    assert '<a href="0001-a-paper-boat-on-a-rainy.mp4">' in page and "moderation_blocked" in page
    assert "a paper boat &lt;on&gt; a rainy street" in page and "2 s" in page
    assert "<script" not in page and not re.search(r"(src|href)=\"https?:", page)
    assert 'http-equiv="refresh"' not in page  # every line ended: no more reloading


def test_gallery_rebuilds_the_sheet_from_the_journal(emu: EmulatorThread, sheet: Path) -> None:
    """videoclient gallery DIR writes the same cards again, with no network and no key."""
    before = cards((sheet / "index.html").read_text())
    (sheet / "index.html").unlink()
    result = CliRunner().invoke(
        cli, ["--json", "gallery", str(sheet)], env={"OPENAI_API_KEY": None}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cards"] == 3
    assert cards((sheet / "index.html").read_text()) == before


def test_gallery_without_a_journal_is_a_usage_error(tmp_path: Path) -> None:
    """A directory that holds no batch journal: exit 2 naming the file looked for."""
    result = CliRunner().invoke(cli, ["gallery", str(tmp_path)])
    assert result.exit_code == 2 and "videoclient-journal.sqlite" in result.stderr


def test_a_running_batch_page_reloads_itself(tmp_path: Path) -> None:
    """While lines are pending the page reloads every few seconds (no JavaScript)."""
    page = render_gallery([Card(line=1, prompt="p", status="waiting", output="a.mp4")], tmp_path)
    assert '<meta http-equiv="refresh" content="5">' in page and "<script" not in page


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: .ci/run installs Debian's chromium")
        pytest.skip("no headless browser here (apt-get install chromium to run this test)")
    return found


def test_the_sheet_renders_in_a_real_browser(sheet: Path, tmp_path: Path) -> None:
    """Headless Chromium loads the page from disk: three cards in its DOM, and a screenshot of
    the asked size whose pixels show the thumbnails (not a blank page)."""
    from PIL import Image

    chromium = _browser()
    url = (sheet / "index.html").as_uri()
    base = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert len(re.findall(r'<figure class="card"', dom)) == 3
    shot = tmp_path / "sheet.png"
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1000,700", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert _png_size(shot.read_bytes()) == (1000, 700)
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        raw = rgb.tobytes()
    pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    background = (246, 248, 250)
    drawn = sum(
        1 for p in pixels if max(abs(a - b) for a, b in zip(p, background, strict=True)) > 40
    )
    colourful = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)
    assert drawn > len(pixels) * 0.05  # cards, text and pictures, not a blank page
    assert colourful > 20000  # the pictures (about 50,000 pixels), not only coloured text


async def test_thumbnails_are_asked_of_each_lines_own_provider(tmp_path: Path) -> None:
    """A Runway line's thumbnail is not asked of the OpenAI client (a 404 it hid), nor of
    Runway (which has none): only the OpenAI line's thumbnail is fetched."""
    import attrs

    from videoclient import AsyncVideoClient
    from videoclient.batch import BatchRequest
    from videoclient.cli._gallery import Sheet

    cfg = EmulatorConfig(render_seconds=0.2, api_key="k", fps=8)
    async with (
        Emulator(cfg) as emu,
        AsyncVideoClient("k", base_url=emu.base_url) as openai,
        AsyncVideoClient.runway("k", base_url=emu.runway_base_url) as runway,
    ):
        ours = await openai.videos.create_and_poll(prompt="o", size="64x64", seconds=1)
        theirs = await runway.videos.create_and_poll(
            prompt="r", size="1280x720", seconds=2, poll_interval=0.05
        )
        requests = [BatchRequest(prompt="o"), BatchRequest(prompt="r", provider="runway")]
        sheet = Sheet(tmp_path, requests, "t")
        for n, video in ((1, ours), (2, theirs)):
            card = sheet.cards[n]
            sheet.cards[n] = attrs.evolve(card, status="completed", video_id=video.id)
        before = emu.count()
        await sheet.fetch_thumbnails(openai, {"runway": runway})
        thumbs = sorted(p.name for p in tmp_path.glob("*.thumbnail.*"))
        assert thumbs == [sheet.cards[1].output.rsplit(".", 1)[0] + ".thumbnail.webp"]
        assert emu.count() == before + 1  # the OpenAI thumbnail, and nothing else
