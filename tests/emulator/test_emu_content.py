"""Content: real MP4/WebP/JPEG assets, rendered lazily once, served with ranges and ETags."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from typing import Any

import aiohttp
import pytest

from videoclient.emulator import Emulator

from .conftest import Api, FakeClock, decode_mp4, image_bytes, mean_colour


async def completed(api: Api, clock: FakeClock, **fields: Any) -> str:
    """Create a job, let it complete on the fake clock, return its id."""
    video = await api.create(**fields)
    clock.advance(20)
    assert (await api.get(video["id"]))["status"] == "completed"
    return str(video["id"])


@pytest.mark.parametrize(
    ("size", "seconds"),
    [
        pytest.param("64x64", 2, id="square"),
        pytest.param("128x72", 1, id="landscape"),
        pytest.param("72x128", 1, id="portrait"),
        pytest.param("65x33", 1, id="odd-sides"),
        pytest.param("40x40", 4, id="narrow-for-its-frames"),
        pytest.param("1x1", 1, id="one-pixel"),
    ],
)
async def test_video_is_h264_mp4_of_the_requested_size_and_duration(
    api: Api, clock: FakeClock, size: str, seconds: int
) -> None:
    """The MP4 decodes (PyAV) to exactly the requested size and duration, within one frame."""
    video_id = await completed(api, clock, size=size, seconds=str(seconds))
    answer = await api("GET", f"/videos/{video_id}/content")
    assert answer.status == 200 and answer.headers["Content-Type"] == "video/mp4"
    assert int(answer.headers["Content-Length"]) == len(answer.body)
    decoded = decode_mp4(answer.body)
    width, height = map(int, size.split("x"))
    assert (decoded.width, decoded.height, decoded.codec) == (width, height, "h264")
    assert abs(decoded.frames - seconds * decoded.fps) <= 1
    assert abs(decoded.duration - seconds) <= 1 / decoded.fps


async def test_hd_clip_renders_fast_and_exact(api: Api, clock: FakeClock, emu: Emulator) -> None:
    """A 1280x720 4 s clip renders in well under 2 s and decodes to 1280x720, 4 s."""
    video_id = await completed(api, clock, size="1280x720", seconds="4")
    started = time.perf_counter()
    path = await emu.asset_path(video_id)
    elapsed = time.perf_counter() - started
    decoded = decode_mp4(path.read_bytes())
    assert (decoded.width, decoded.height) == (1280, 720)
    assert abs(decoded.duration - 4) <= 1 / decoded.fps
    assert elapsed < 2.0, f"rendering took {elapsed:.2f}s"


async def test_thumbnail_is_webp_and_spritesheet_is_jpeg(api: Api, clock: FakeClock) -> None:
    """variant=thumbnail is a WebP of the video's size; variant=spritesheet a JPEG grid."""
    from PIL import Image

    video_id = await completed(api, clock, size="128x72", seconds="4")
    thumb = await api("GET", f"/videos/{video_id}/content", params={"variant": "thumbnail"})
    sprite = await api("GET", f"/videos/{video_id}/content", params={"variant": "spritesheet"})
    assert thumb.headers["Content-Type"] == "image/webp"
    assert sprite.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.body)) as img:
        assert (img.format, img.size) == ("WEBP", (128, 72))
    with Image.open(io.BytesIO(sprite.body)) as img:
        assert img.format == "JPEG" and img.size == (256, 144)  # 2x2 tiles, one per second


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        pytest.param("bytes=0-9", 0, 10, id="first-ten"),
        pytest.param("bytes=100-", 100, None, id="open-ended"),
        pytest.param("bytes=-50", -50, None, id="suffix"),
        pytest.param("bytes=10-999999999", 10, None, id="past-the-end"),
    ],
)
async def test_range_returns_the_exact_bytes(
    api: Api, clock: FakeClock, header: str, start: int, end: int | None
) -> None:
    """A Range request answers 206 with exactly those bytes and a matching Content-Range."""
    video_id = await completed(api, clock)
    whole = (await api("GET", f"/videos/{video_id}/content")).body
    part = await api("GET", f"/videos/{video_id}/content", headers={"Range": header})
    expected = whole[start:end]
    assert part.status == 206 and part.body == expected
    first = start % len(whole)
    assert (
        part.headers["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(whole)}"
    )
    assert int(part.headers["Content-Length"]) == len(expected)


async def test_unsatisfiable_range_is_416(api: Api, clock: FakeClock) -> None:
    """A range starting past the end answers 416 with Content-Range bytes */size."""
    video_id = await completed(api, clock)
    whole = (await api("GET", f"/videos/{video_id}/content")).body
    answer = await api(
        "GET", f"/videos/{video_id}/content", headers={"Range": f"bytes={len(whole)}-"}
    )
    assert answer.status == 416 and answer.headers["Content-Range"] == f"bytes */{len(whole)}"


async def test_multiple_ranges_get_the_whole_file(api: Api, clock: FakeClock) -> None:
    """A multi-range request is answered with the whole file (200), as RFC 9110 allows."""
    video_id = await completed(api, clock)
    answer = await api("GET", f"/videos/{video_id}/content", headers={"Range": "bytes=0-1,5-6"})
    assert answer.status == 200 and int(answer.headers["Content-Length"]) == len(answer.body)


async def test_etag_conditionals(api: Api, clock: FakeClock) -> None:
    """The ETag is stable; If-None-Match answers 304; a stale If-Range gets the whole file."""
    video_id = await completed(api, clock)
    url = f"/videos/{video_id}/content"
    first, second = await api("GET", url), await api("GET", url)
    etag = first.headers["ETag"]
    assert etag == second.headers["ETag"] and first.headers["Accept-Ranges"] == "bytes"
    assert (await api("GET", url, headers={"If-None-Match": etag})).status == 304
    stale = await api("GET", url, headers={"Range": "bytes=0-3", "If-Range": '"other"'})
    assert stale.status == 200 and stale.body == first.body
    fresh = await api("GET", url, headers={"Range": "bytes=0-3", "If-Range": etag})
    assert fresh.status == 206 and fresh.body == first.body[:4]


async def test_head_gives_headers_without_body(api: Api, clock: FakeClock) -> None:
    """HEAD on content answers the length and type with no body."""
    video_id = await completed(api, clock)
    whole = (await api("GET", f"/videos/{video_id}/content")).body
    head = await api("HEAD", f"/videos/{video_id}/content")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == len(whole)


@pytest.mark.parametrize(
    "accept",
    ["*/*", "video/mp4", "application/binary", "application/octet-stream", "text/html"],
)
async def test_any_accept_header_gets_the_video(api: Api, clock: FakeClock, accept: str) -> None:
    """Content never answers 406: whatever Accept says, the MP4 comes back."""
    video_id = await completed(api, clock)
    answer = await api("GET", f"/videos/{video_id}/content", headers={"Accept": accept})
    assert answer.status == 200 and answer.headers["Content-Type"] == "video/mp4"


async def test_content_errors(api: Api, clock: FakeClock) -> None:
    """Content of a pending job is 409, of an unknown job 404, of a bad variant 400."""
    pending = await api.create()
    not_ready = await api("GET", f"/videos/{pending['id']}/content")
    assert not_ready.status == 409 and not_ready.error["code"] == "video_not_ready"
    assert (await api("GET", "/videos/video_nope/content")).status == 404
    clock.advance(20)
    bad = await api("GET", f"/videos/{pending['id']}/content", params={"variant": "gif"})
    assert bad.status == 400 and bad.error["param"] == "variant"


async def test_failed_job_content_is_409(api: Api, clock: FakeClock) -> None:
    """Content of a failed job answers 409 video_failed."""
    video = await api.create(prompt="[emulator:fail]")
    clock.advance(20)
    answer = await api("GET", f"/videos/{video['id']}/content")
    assert answer.status == 409 and answer.error["code"] == "video_failed"


async def test_expired_content_is_404_video_expired(
    start_emulator: Any, make_api: Any, clock: FakeClock
) -> None:
    """After expires_at the content answers 404 video_expired."""
    api = make_api(await start_emulator(clock=clock, asset_ttl=60))
    video_id = await completed(api, clock)
    clock.advance(61)
    answer = await api("GET", f"/videos/{video_id}/content")
    assert answer.status == 404 and answer.error["code"] == "video_expired"


async def test_rendering_is_lazy_and_happens_once(
    api: Api, clock: FakeClock, emu: Emulator
) -> None:
    """Jobs never downloaded cost no render; concurrent and repeated downloads share one."""
    ids = [(await api.create())["id"] for _ in range(30)]
    clock.advance(20)
    await api("GET", "/videos", params={"limit": "100"})
    assert emu.renders == {}
    bodies = await asyncio.gather(*(api("GET", f"/videos/{ids[0]}/content") for _ in range(5)))
    assert emu.renders == {"video": 1}
    assert len({b.body for b in bodies}) == 1
    await api("GET", f"/videos/{ids[0]}/content")
    assert emu.renders == {"video": 1}


async def test_asset_path_holds_the_served_bytes(api: Api, clock: FakeClock, emu: Emulator) -> None:
    """asset_path/asset_bytes give the very bytes the content route serves."""
    video_id = await completed(api, clock)
    served = (await api("GET", f"/videos/{video_id}/content", params={"variant": "thumbnail"})).body
    assert await emu.asset_bytes(video_id, "thumbnail") == served
    assert (await emu.asset_path(video_id, "thumbnail")).read_bytes() == served
    with pytest.raises(KeyError):
        await emu.asset_path("video_nope")
    pending = await api.create()
    with pytest.raises(ValueError, match="not ready"):
        await emu.asset_path(pending["id"])


async def test_frames_come_from_the_prompt_and_move(api: Api, clock: FakeClock) -> None:
    """Different prompts give different pictures, and a clip's frames change over time."""
    import av

    a = await completed(api, clock, prompt="a red balloon", size="128x72", seconds="2")
    b = await completed(api, clock, prompt="a green forest", size="128x72", seconds="2")
    thumb_a = (await api("GET", f"/videos/{a}/content", params={"variant": "thumbnail"})).body
    thumb_b = (await api("GET", f"/videos/{b}/content", params={"variant": "thumbnail"})).body
    assert mean_colour(thumb_a) != mean_colour(thumb_b)
    clip = (await api("GET", f"/videos/{a}/content")).body
    with av.open(io.BytesIO(clip)) as container:
        frames = [f.to_image().tobytes() for f in container.decode(video=0)]
    assert frames[0] != frames[len(frames) // 2] != frames[-1]


async def test_extension_video_has_the_stitched_duration(api: Api, clock: FakeClock) -> None:
    """An extension's MP4 lasts the source's seconds plus the extension's."""
    source = await completed(api, clock, seconds="1")
    answer = await api(
        "POST",
        "/videos/extensions",
        json={"video": {"id": source}, "prompt": "more", "seconds": "2"},
    )
    clock.advance(20)
    decoded = decode_mp4((await api("GET", f"/videos/{answer.body['id']}/content")).body)
    assert abs(decoded.duration - 3) <= 1 / decoded.fps


def _form(prompt: str, size: str, image: bytes, content_type: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("prompt", prompt)
    form.add_field("size", size)
    form.add_field("seconds", "1")
    form.add_field("input_reference", image, filename="ref", content_type=content_type)
    return form


async def test_input_reference_upload_shapes_the_frames(api: Api, clock: FakeClock) -> None:
    """An uploaded reference image of the right size is accepted and colours the frames."""
    red = image_bytes(64, 64, (230, 10, 10))
    answer = await api("POST", "/videos", data=_form("on red", "64x64", red, "image/png"))
    assert answer.status == 200
    clock.advance(20)
    thumb = await api(
        "GET", f"/videos/{answer.body['id']}/content", params={"variant": "thumbnail"}
    )
    r, g, b = mean_colour(thumb.body)
    assert r > 2 * g and r > 2 * b


@pytest.mark.parametrize(
    ("image", "content_type", "message"),
    [
        pytest.param(
            image_bytes(32, 32, (0, 0, 0)),
            "image/png",
            "Inpaint image must match the requested width and height",
            id="wrong-size",
        ),
        pytest.param(b"hello", "text/plain", "Invalid file format", id="text"),
        pytest.param(
            image_bytes(64, 64, (0, 0, 0), "GIF"), "image/gif", "Invalid file format", id="gif"
        ),
        pytest.param(b"\x89PNG broken", "image/png", "Invalid file format", id="corrupt"),
    ],
)
async def test_input_reference_upload_is_checked(
    api: Api, emu: Emulator, image: bytes, content_type: str, message: str
) -> None:
    """A reference of the wrong size or type answers 400 naming input_reference."""
    answer = await api("POST", "/videos", data=_form("p", "64x64", image, content_type))
    assert answer.status == 400 and answer.error["param"] == "input_reference"
    assert message in answer.error["message"]
    assert emu.jobs_created == 0


async def test_input_reference_data_url(api: Api, clock: FakeClock) -> None:
    """A JSON image_url data URL is accepted and checked like an upload."""
    jpeg = image_bytes(64, 64, (10, 10, 230), "JPEG")
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    good = await api(
        "POST",
        "/videos",
        json={
            "prompt": "blue",
            "size": "64x64",
            "seconds": "1",
            "input_reference": {"image_url": url},
        },
    )
    assert good.status == 200
    clock.advance(20)
    thumb = await api("GET", f"/videos/{good.body['id']}/content", params={"variant": "thumbnail"})
    r, _, b = mean_colour(thumb.body)
    assert b > 2 * r
    bad = await api(
        "POST",
        "/videos",
        json={"prompt": "x", "size": "128x72", "input_reference": {"image_url": url}},
    )
    assert bad.status == 400 and bad.error["param"] == "input_reference.image_url"


async def test_redirect_mode_sends_a_signed_url_that_needs_no_key(
    start_emulator: Any, make_api: Any, clock: FakeClock
) -> None:
    """With redirect_content, content is a 302 to a signed URL served without Authorization."""
    api = make_api(await start_emulator(clock=clock, redirect_content=True, signed_url_ttl=60))
    video_id = await completed(api, clock)
    redirect = await api("GET", f"/videos/{video_id}/content", params={"variant": "thumbnail"})
    assert redirect.status == 302
    location = redirect.headers["Location"]
    assert "/_emulator/signed/" in location and "signature=" in location
    fetched = await api("GET", location, auth=False)
    assert fetched.status == 200 and fetched.headers["Content-Type"] == "image/webp"
    part = await api("GET", location, auth=False, headers={"Range": "bytes=0-3"})
    assert part.status == 206 and part.body == fetched.body[:4]
    tampered = await api("GET", location.replace("signature=", "signature=0"), auth=False)
    assert tampered.status == 403 and tampered.error["code"] == "invalid_signature"
    clock.advance(61)
    expired = await api("GET", location, auth=False)
    assert expired.status == 403 and expired.error["code"] == "signed_url_expired"


async def test_redirect_mode_still_checks_the_job(
    start_emulator: Any, make_api: Any, clock: FakeClock
) -> None:
    """In redirect mode, content of a pending job is still 409, not a redirect."""
    api = make_api(await start_emulator(clock=clock, redirect_content=True))
    video = await api.create()
    answer = await api("GET", f"/videos/{video['id']}/content")
    assert answer.status == 409


async def test_edit_of_uploaded_video_renders_at_its_size(api: Api, clock: FakeClock) -> None:
    """An edit of an uploaded video renders an MP4 of the upload's size and length."""
    from .conftest import mp4_bytes

    form = aiohttp.FormData()
    form.add_field("video", mp4_bytes(96, 64, 2), filename="in.mp4", content_type="video/mp4")
    form.add_field("prompt", "add snow")
    created = await api("POST", "/videos/edits", data=form)
    clock.advance(20)
    decoded = decode_mp4((await api("GET", f"/videos/{created.body['id']}/content")).body)
    assert (decoded.width, decoded.height) == (96, 64)
    assert abs(decoded.duration - 2) <= 1 / decoded.fps


async def test_prerender_renders_when_the_job_completes(start_emulator: Any, make_api: Any) -> None:
    """With prerender, the MP4 is rendered as the job completes, before anyone downloads it."""
    emulator = await start_emulator(render_seconds=0.1, prerender=True)
    await make_api(emulator).create()
    for _ in range(500):
        if emulator.renders.get("video") == 1:
            break
        await asyncio.sleep(0.01)
    assert emulator.renders == {"video": 1}
