"""Reference images: dimensions read from headers, checked against size=, resized with fit=."""

from __future__ import annotations

import io
import struct
import sys
from typing import Any

import pytest
from builders import proto
from PIL import Image

from videoclient._io.images import fit_image, prepare_reference
from videoclient._io.inputs import resolve_file
from videoclient._io.sources import source_dimensions
from videoclient._sansio.files import FileSource
from videoclient._sansio.images import check_fit, parse_colour


def encode(img: Image.Image, fmt: str, **save: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save)
    return buf.getvalue()


def image(width: int, height: int, fmt: str = "PNG", colour: Any = (10, 200, 30)) -> bytes:
    mode = "RGBA" if isinstance(colour, tuple) and len(colour) == 4 else "RGB"
    return encode(Image.new(mode, (width, height), colour), fmt)


def source(data: bytes) -> FileSource:
    return resolve_file(
        data, what="input_reference", allowed=("image/jpeg", "image/png", "image/webp")
    )


def decode(src: FileSource) -> Image.Image:
    assert src.data is not None
    img = Image.open(io.BytesIO(src.data))
    img.load()
    return img


# -- colours and options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("#000000", (0, 0, 0), id="black"),
        pytest.param("#FF8000", (255, 128, 0), id="upper-hex"),
        pytest.param("fff", (255, 255, 255), id="short-no-hash"),
        pytest.param((1, 2, 3), (1, 2, 3), id="tuple"),
    ],
)
def test_parse_colour_accepts_hex_and_tuples(value: Any, expected: tuple[int, int, int]) -> None:
    """fit_background is '#RRGGBB', '#RGB' or an (r, g, b) tuple."""
    assert parse_colour(value) == expected


@pytest.mark.parametrize(
    ("value", "exc"),
    [
        pytest.param("black", ValueError, id="name"),
        pytest.param("#12345", ValueError, id="five-digits"),
        pytest.param((0, 0, 256), ValueError, id="out-of-range"),
        pytest.param((0, 0, True), ValueError, id="bool-component"),
        pytest.param(0, TypeError, id="int"),
    ],
)
def test_parse_colour_rejects_other_values(value: Any, exc: type[Exception]) -> None:
    """Anything else is a ValueError or TypeError naming fit_background."""
    with pytest.raises(exc, match="fit_background"):
        parse_colour(value)


def test_check_fit_rejects_unknown_modes() -> None:
    """fit must be contain, cover or stretch."""
    with pytest.raises(ValueError, match="'contain', 'cover', 'stretch'"):
        check_fit("zoom", "#000")


# -- reading dimensions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt",
    [
        pytest.param("PNG", id="png"),
        pytest.param("JPEG", id="jpeg"),
        pytest.param("WEBP", id="webp-lossy"),
    ],
)
def test_dimensions_are_read_from_headers(fmt: str) -> None:
    """PNG, JPEG and WebP headers give (width, height) without decoding."""
    assert source_dimensions(source(image(123, 45, fmt))) == (123, 45)


def test_lossless_webp_dimensions() -> None:
    """A lossless (VP8L) WebP header gives its dimensions too."""
    data = encode(Image.new("RGB", (77, 33)), "WEBP", lossless=True)
    assert source_dimensions(source(data)) == (77, 33)


def test_jpeg_frame_header_past_the_sniffed_bytes_is_found(tmp_path: Any) -> None:
    """A JPEG whose big metadata pushes the frame header past 64 KiB is still measured."""
    jpeg = image(40, 30, "JPEG")
    blob = b"\xff\xe2" + struct.pack(">H", 65535) + b"\0" * 65533  # one full APP2 segment
    padded = jpeg[:2] + blob + blob + jpeg[2:]
    path = tmp_path / "big-icc.jpg"
    path.write_bytes(padded)
    src = resolve_file(path, what="input_reference", allowed=("image/jpeg",))
    assert src.head == padded[: 64 * 1024]
    assert source_dimensions(src) == (40, 30)
    with Image.open(path) as img:
        assert img.size == (40, 30)  # Pillow agrees the file is valid


# -- checking against size= ------------------------------------------------------------------


def test_a_matching_reference_is_returned_unchanged() -> None:
    """Equal dimensions: the very same source goes up, with no re-encoding."""
    src = source(image(64, 36))
    assert prepare_reference(src, size="64x36", fit=None) is src
    assert prepare_reference(src, size="64x36", fit="cover") is src


def test_a_mismatch_names_both_sizes_and_the_way_out() -> None:
    """The error says what the image is, what was asked, and how fit= helps."""
    with pytest.raises(ValueError, match="input_reference is 64x36 but size is 36x64") as info:
        prepare_reference(source(image(64, 36)), size="36x64", fit=None)
    assert "match the requested width and height" in str(info.value)
    assert "fit=" in str(info.value) and "videoclient[images]" in str(info.value)


def test_fit_without_size_is_refused() -> None:
    """fit= needs a size to fit to."""
    with pytest.raises(ValueError, match="needs size"):
        prepare_reference(source(image(8, 8)), size=None, fit="contain")


def test_build_create_refuses_fit_without_a_reference() -> None:
    """fit= with no input_reference is a mistake, reported before anything is sent."""
    with pytest.raises(ValueError, match="needs input_reference"):
        proto.build_create(prompt="p", size="64x64", fit="cover")


# -- fit with Pillow -------------------------------------------------------------------------


@pytest.mark.parametrize("fit", ["contain", "cover", "stretch"])
@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        pytest.param("PNG", "image/png", id="png"),
        pytest.param("JPEG", "image/jpeg", id="jpeg"),
        pytest.param("WEBP", "image/webp", id="webp"),
    ],
)
def test_fit_produces_exactly_the_requested_size(fit: str, fmt: str, content_type: str) -> None:
    """Every fit mode and format yields an image that decodes to exactly W x H, same format."""
    src = source(image(120, 50, fmt))
    out = prepare_reference(src, size="64x48", fit=fit)
    assert out.content_type == content_type and out.filename == src.filename
    decoded = decode(out)
    assert decoded.size == (64, 48) and decoded.format == fmt
    assert out.size == len(out.data or b"") and source_dimensions(out) == (64, 48)


def test_contain_pads_with_the_background_colour() -> None:
    """contain letterboxes a wide image: the top and bottom bands are fit_background."""
    src = source(image(100, 20, colour=(255, 255, 255)))
    out = fit_image(src, (50, 50), "contain", parse_colour("#ff0000"))
    img = decode(out).convert("RGB")
    assert img.getpixel((25, 1)) == (255, 0, 0)  # padding
    assert img.getpixel((25, 25)) == (255, 255, 255)  # the image itself


def test_cover_fills_the_frame_without_padding() -> None:
    """cover crops instead of padding: every edge pixel is the image's colour."""
    src = source(image(100, 20, colour=(0, 0, 255)))
    img = decode(fit_image(src, (50, 50), "cover", (255, 0, 0))).convert("RGB")
    for xy in [(0, 0), (49, 0), (0, 49), (49, 49), (25, 25)]:
        r, _, b = img.getpixel(xy)  # type: ignore[misc]
        assert b > 200 and r < 30


def test_transparent_png_keeps_alpha_and_pads_opaque() -> None:
    """An RGBA PNG stays RGBA; contain's padding is the opaque background colour."""
    src = source(image(40, 10, colour=(0, 255, 0, 128)))
    img = decode(fit_image(src, (20, 20), "contain", (0, 0, 0)))
    assert img.mode == "RGBA" and img.getpixel((10, 0)) == (0, 0, 0, 255)


def test_build_create_uploads_the_resized_image() -> None:
    """build_create with fit= puts the resized image in the multipart form."""
    req = proto.build_create(
        prompt="p", size=(32, 32), input_reference=image(90, 30), fit="contain"
    )
    assert req.form is not None
    (ref,) = [v for k, v in req.form if k == "input_reference"]
    assert isinstance(ref, FileSource)
    assert decode(ref).size == (32, 32)


def test_missing_pillow_gives_a_pip_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Pillow, fit= raises ImportError telling how to install the extra."""
    src = source(image(10, 20))
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install 'videoclient\[images\]'"):
        prepare_reference(src, size="20x10", fit="stretch")


def test_an_undecodable_image_is_a_value_error() -> None:
    """A file with a valid header but broken data cannot be resized: ValueError."""
    data = image(30, 30, "PNG")
    broken = data[:40] + b"\0" * 20
    with pytest.raises(ValueError, match="cannot be decoded"):
        prepare_reference(source(broken), size="10x10", fit="cover")


def test_fit_turns_an_exif_rotated_image_upright_even_at_the_stored_size() -> None:
    """Stored 64x36 but shown 36x64 (EXIF orientation 6): fit resizes to 64x36 upright."""
    img = Image.new("RGB", (64, 36), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6
    src = source(encode(img, "JPEG", exif=exif.tobytes()))
    assert source_dimensions(src) == (64, 36)
    out = prepare_reference(src, size="64x36", fit="cover")
    assert out is not src
    result = decode(out)
    assert result.size == (64, 36) and result.getexif().get(0x0112, 1) == 1
    assert prepare_reference(src, size="64x36", fit=None) is src  # no fit: stored size decides


def test_fit_keeps_an_rgb_colour_profile() -> None:
    """The ICC profile of an RGB image (a Display P3 photo) survives the resize."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = source(encode(Image.new("RGB", (80, 40), (1, 2, 3)), "PNG", icc_profile=profile))
    out = decode(fit_image(src, (40, 40), "contain", (0, 0, 0)))
    assert out.size == (40, 40) and out.info.get("icc_profile") == profile


async def test_fitting_a_reference_runs_off_the_event_loop(
    videoclient_async_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow reference fit runs in a worker thread: the event loop keeps ticking meanwhile."""
    import threading

    import anyio

    from videoclient._io import images as io_images

    real = io_images.fit_image
    fit_threads: list[int] = []

    def slow_fit(*args: Any, **kwargs: Any) -> Any:
        fit_threads.append(threading.get_ident())
        import time

        time.sleep(0.4)  # a large image on a slow machine: blocking work
        return real(*args, **kwargs)

    monkeypatch.setattr(io_images, "fit_image", slow_fit)
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await anyio.sleep(0.02)
            ticks += 1

    loop_thread = threading.get_ident()
    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        video = await videoclient_async_client.videos.create(
            prompt="fit me",
            size="64x36",
            input_reference=image(640, 480),
            fit="cover",
        )
        done = True
    assert video.id
    assert fit_threads and fit_threads[0] != loop_thread
    assert ticks >= 5, f"the loop ticked only {ticks} times during a 0.4 s fit"


def test_builders_leave_files_unread_until_the_client_reads_them(tmp_path: Any) -> None:
    """The pure builder opens nothing: a path stays a PendingFile, even one that is missing."""
    from videoclient._providers.openai import protocol as pure
    from videoclient._sansio.files import PendingFile

    req = pure.build_create(prompt="p", size="64x36", input_reference=tmp_path / "x.png")
    assert req.form is not None
    (pending,) = [v for k, v in req.form if k == "input_reference"]
    assert isinstance(pending, PendingFile) and pending.image and pending.size == "64x36"
    with pytest.raises(FileNotFoundError, match="no such file"):
        proto.build_create(prompt="p", size="64x36", input_reference=tmp_path / "x.png")
