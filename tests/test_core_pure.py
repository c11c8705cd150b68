"""Pure-core tests: validation, retry decisions, multipart framing, file sniffing, wire format."""

from __future__ import annotations

import email.utils
import io
import struct
import zlib
from typing import Any

import pytest
from builders import proto

from videoclient._io.inputs import resolve_file
from videoclient._io.sources import open_source
from videoclient._providers.openai import hints
from videoclient._sansio import retry as _retry
from videoclient._sansio.files import image_dimensions, sniff_type
from videoclient._sansio.models import Video, VideoPage
from videoclient._sansio.multipart import encode
from videoclient._sansio.wire import WireError, structure, unstructure


def png(width: int, height: int) -> bytes:
    """A valid PNG of the given size (one grey row repeated), built without Pillow."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


BAD_CALLS = [
    pytest.param(
        lambda: proto.build_create(prompt=""), ValueError, "must not be empty", id="empty-prompt"
    ),
    pytest.param(
        lambda: proto.build_create(prompt="   "), ValueError, "must not be empty", id="blank-prompt"
    ),
    pytest.param(
        lambda: proto.build_create(prompt="x" * 40000), ValueError, "at most 32000", id="40k-prompt"
    ),
    pytest.param(
        lambda: proto.build_create(prompt=None), TypeError, "prompt must be a str", id="none-prompt"
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", seconds=0), ValueError, "positive", id="seconds-0"
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", seconds=-4), ValueError, "positive", id="seconds-neg"
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", seconds="abc"),
        ValueError,
        "whole number",
        id="seconds-abc",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", seconds=4.5),
        TypeError,
        "seconds must be",
        id="seconds-float",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", seconds=True),
        TypeError,
        "seconds must be",
        id="seconds-bool",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", size="big"),
        ValueError,
        "WIDTHxHEIGHT",
        id="size-big",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", size="1280*720"),
        ValueError,
        "did you mean '1280x720'",
        id="size-star",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", size=(0, 720)),
        ValueError,
        "positive",
        id="size-zero",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", size=1280), TypeError, "size must be", id="size-int"
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", model=""), ValueError, "model", id="model-empty"
    ),
    pytest.param(lambda: proto.build_retrieve(""), ValueError, "must not be empty", id="id-empty"),
    pytest.param(lambda: proto.build_retrieve("a/b"), ValueError, "not a valid id", id="id-slash"),
    pytest.param(lambda: proto.build_retrieve(".."), ValueError, "not a valid id", id="id-dotdot"),
    pytest.param(
        lambda: proto.build_retrieve("video 1"), ValueError, "not a valid id", id="id-space"
    ),
    pytest.param(
        lambda: proto.build_retrieve(42), TypeError, "video_id must be a str", id="id-int"
    ),
    pytest.param(lambda: proto.build_delete("a?b"), ValueError, "not a valid id", id="id-query"),
    pytest.param(
        lambda: proto.build_content("video_1", variant="poster"),
        ValueError,
        "variant must be one of",
        id="variant-poster",
    ),
    pytest.param(
        lambda: proto.build_list(limit=-1), ValueError, "between 0 and 100", id="limit-neg"
    ),
    pytest.param(
        lambda: proto.build_list(limit=101), ValueError, "between 0 and 100", id="limit-101"
    ),
    pytest.param(
        lambda: proto.build_list(limit="10"), TypeError, "limit must be an int", id="limit-str"
    ),
    pytest.param(
        lambda: proto.build_list(order="newest"), ValueError, "'asc' or 'desc'", id="order"
    ),
    pytest.param(
        lambda: proto.build_remix("video_1", prompt=""),
        ValueError,
        "must not be empty",
        id="remix-empty",
    ),
    pytest.param(
        lambda: proto.build_extend(video={"id": "v"}, prompt="p", seconds=0),
        ValueError,
        "positive",
        id="extend-seconds",
    ),
    pytest.param(
        lambda: proto.build_edit(video={}, prompt="p"),
        ValueError,
        "reference must not be empty",
        id="edit-empty-ref",
    ),
    pytest.param(
        lambda: proto.build_create_character(name="", video=b"x"),
        ValueError,
        "1 to 80",
        id="character-name",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", input_reference=12),
        TypeError,
        "must be a path, bytes",
        id="ref-int",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", input_reference=b"GIF89a" + b"\x00" * 20),
        ValueError,
        "unsupported file type",
        id="ref-gif",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", input_reference=b"plain text"),
        ValueError,
        "not recognised",
        id="ref-unknown",
    ),
    pytest.param(
        lambda: proto.build_create(prompt="p", input_reference=b""),
        ValueError,
        "empty",
        id="ref-zero-bytes",
    ),
    pytest.param(
        lambda: proto.build_edit(video=b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, prompt="p"),
        ValueError,
        "unsupported file type",
        id="edit-png-as-video",
    ),
]


@pytest.mark.parametrize(("call", "exc", "message"), BAD_CALLS)
def test_bad_input_is_refused_before_sending(call: Any, exc: type[Exception], message: str) -> None:
    """Each malformed argument raises the right built-in error type with a message saying what to pass."""
    with pytest.raises(exc, match=message.replace("(", r"\(").replace("?", r"\?")):
        call()


def test_missing_file_directory_and_empty_file(tmp_path: Any) -> None:
    """Paths are checked before sending: missing, directory and zero-byte files each fail clearly."""
    with pytest.raises(FileNotFoundError, match="no such file"):
        proto.build_create(prompt="p", input_reference=tmp_path / "nope.png")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        proto.build_create(prompt="p", input_reference=tmp_path)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        proto.build_create(prompt="p", input_reference=empty)
    with pytest.raises(FileNotFoundError, match=r"pass \{'id': 'video_123'\}"):
        proto.build_edit(video="video_123", prompt="p")


def test_ids_are_url_quoted_and_unknown_values_pass() -> None:
    """Unknown models, sizes and durations are sent as given; seconds and size become strings."""
    req = proto.build_create(prompt="p", model="wan-3", seconds="16", size=(640, 360))
    assert req.json == {"prompt": "p", "model": "wan-3", "seconds": "16", "size": "640x360"}
    assert proto.build_retrieve("vid:é").path == "videos/vid%3A%C3%A9"
    assert proto.build_content("v", variant="video").params == ()
    assert proto.build_content("v", variant="thumbnail").params == (("variant", "thumbnail"),)


def test_reference_objects_go_as_json() -> None:
    """{'id'}, a Video and {'image_url'} references are sent as JSON, not multipart."""
    v = Video(id="video_9", status="completed")
    assert proto.build_edit(video=v, prompt="p").json == {"prompt": "p", "video": {"id": "video_9"}}
    assert proto.build_extend(video={"id": "video_9"}, prompt="p", seconds=4).json["video"] == {
        "id": "video_9"
    }
    req = proto.build_create(
        prompt="p", input_reference={"image_url": "data:image/png;base64,AAAA"}
    )
    assert req.form is None and req.json["input_reference"] == {
        "image_url": "data:image/png;base64,AAAA"
    }


def test_file_inputs_become_multipart_with_sniffed_type(tmp_path: Any) -> None:
    """A path, bytes, a file object and a tuple all become a file part named and typed from content."""
    data = png(3, 2)
    path = tmp_path / "pic.bin"
    path.write_bytes(data)
    for value, name in [
        (path, "pic.bin"),
        (data, "input_reference.png"),
        (io.BytesIO(data), "input_reference.png"),
        (("x.dat", data), "x.dat"),
    ]:
        req = proto.build_create(prompt="p", input_reference=value)
        assert req.form is not None
        fields = dict(req.form)
        src = fields["input_reference"]
        assert (src.filename, src.content_type, src.size) == (name, "image/png", len(data))  # type: ignore[union-attr]
        with open_source(src) as fh:  # type: ignore[union-attr]
            assert fh.read() == data


def test_sniffing_and_dimensions() -> None:
    """Magic bytes give the type; PNG headers give the dimensions."""
    assert sniff_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_type(b"\x00\x00\x00\x18ftypisom") == "video/mp4"
    assert sniff_type(b"\x00\x00\x00\x14ftypqt  ") == "video/quicktime"
    assert sniff_type(b"hello") is None
    assert image_dimensions(png(7, 5)) == (7, 5)


def test_resolve_file_with_explicit_content_type() -> None:
    """Unrecognised bytes are refused unless a (name, content, type) tuple declares the type."""
    with pytest.raises(ValueError, match="not recognised"):
        resolve_file(("a.bin", b"\x00\x01"), what="video", allowed=("video/mp4",))
    src = resolve_file(("a.bin", b"\x00\x01", "video/mp4"), what="video", allowed=("video/mp4",))
    assert src.content_type == "video/mp4"


def test_multipart_length_matches_bytes() -> None:
    """The computed Content-Length equals the bytes the framing and files add up to."""
    src = resolve_file(png(2, 2), what="input_reference", allowed=("image/png",))
    body = encode([("prompt", 'a "quoted"\nprompt'), ("input_reference", src)], boundary="b")
    total = sum(seg.size if not isinstance(seg, bytes) else len(seg) for seg in body.segments)
    assert total == body.length
    first = body.segments[0]
    assert (
        isinstance(first, bytes)
        and b'name="prompt"' in first
        and b'filename="input_reference.png"' in first
    )


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        pytest.param(500, {}, True, id="500"),
        pytest.param(503, {"x-should-retry": "false"}, False, id="503-told-not-to"),
        pytest.param(400, {"x-should-retry": "true"}, True, id="400-told-to"),
        pytest.param(408, {}, True, id="408"),
        pytest.param(409, {}, True, id="409"),
        pytest.param(429, {}, True, id="429"),
        pytest.param(404, {}, False, id="404"),
        pytest.param(400, {}, False, id="400"),
    ],
)
def test_should_retry_status(status: int, headers: dict[str, str], expected: bool) -> None:
    """Retried statuses follow the table, and OpenAI's x-should-retry overrides it."""
    assert _retry.should_retry_status(status, hints.retry_hint(headers)) is expected


def test_retry_delay_sources() -> None:
    """retry-after-ms wins, then Retry-After seconds or date, else capped jittered back-off."""
    zero = lambda: 0.0  # noqa: E731

    def delay(attempt: int, headers: dict[str, str], **kw: Any) -> float:
        now = kw.pop("now", None)
        return _retry.retry_delay(attempt, hints.server_delay(headers, now=now), **kw)

    assert delay(1, {"retry-after-ms": "250", "retry-after": "9"}, rand=zero) == 0.25
    assert delay(1, {"retry-after": "3"}, rand=zero) == 3.0
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert delay(1, {"retry-after": date}, now=1_000_000, rand=zero) == pytest.approx(10.0)
    # A server's delay is never shortened, only spread upward (a quarter more plus 100 ms at most).
    assert delay(1, {"retry-after": "4"}, rand=lambda: 1.0) == pytest.approx(5.1)
    assert delay(1, {"retry-after": "3600"}, rand=lambda: 0.0) == 0.5  # too long: ignored
    assert delay(3, {}, rand=lambda: 0.0) == 2.0
    assert delay(10, {}, rand=lambda: 0.0) == 8.0
    assert delay(1, {}, rand=lambda: 1.0) == 0.375


def test_wire_round_trip_keeps_extras() -> None:
    """Reading then writing a video gives back every field, unknown ones included."""
    wire = {
        "id": "v",
        "object": "video",
        "status": "completed",
        "model": "m",
        "progress": 100,
        "created_at": 1,
        "completed_at": 2,
        "expires_at": 3,
        "prompt": "p",
        "size": "1x1",
        "seconds": "4",
        "remixed_from_video_id": None,
        "error": None,
        "new_field": [1],
    }
    video = structure(wire, Video)
    assert unstructure(video) == wire
    page = structure(
        {"object": "list", "data": [wire], "first_id": "v", "last_id": "v", "has_more": False},
        VideoPage,
    )
    assert page.data[0] == video
    with pytest.raises(WireError):
        structure({"data": "nope"}, VideoPage)


def test_parse_model_attaches_request_id() -> None:
    """parse_model returns the model with x-request-id attached; equality ignores it."""
    resp = proto.Response(200, {"x-request-id": "req_1"}, b'{"id": "v", "status": "queued"}')
    video = proto.parse_model(resp, Video)
    assert video.request_id == "req_1"
    assert video == Video(id="v", status="queued")
