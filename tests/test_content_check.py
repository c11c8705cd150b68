"""A download's answer against the variant asked for: pure sniffing and verdicts, no loop."""

from __future__ import annotations

import pytest

from videoclient import ContentIntegrityError
from videoclient._sansio.contentcheck import HEAD, ContentCheck, declared_kind, sniff

MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\x00" * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 64
MKV = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 64
AVI = b"RIFF\x10\x00\x00\x00AVI LIST" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 64
JSON = b'  {"error": {"message": "no such variant"}}'
HTML = b"<!DOCTYPE html><html><title>502</title></html>"
UNKNOWN = bytes(range(256))


def judge(check: ContentCheck, content_type: str | None, body: bytes) -> None:
    """One whole answer through the check: its header, its body in one piece, its end."""
    check.answer(content_type, request_id="req_7")
    check.feed(0, body)
    check.end()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param(MP4, "video/mp4", id="mp4"),
        pytest.param(MOV, "video/quicktime", id="mov"),
        pytest.param(AVIF, "image/avif", id="avif-is-an-image"),
        pytest.param(WEBM, "video/webm", id="webm"),
        pytest.param(MKV, "video/x-matroska", id="matroska"),
        pytest.param(AVI, "video/x-msvideo", id="avi"),
        pytest.param(JPEG, "image/jpeg", id="jpeg"),
        pytest.param(PNG, "image/png", id="png"),
        pytest.param(WEBP, "image/webp", id="webp"),
        pytest.param(GIF, "image/gif", id="gif"),
        pytest.param(JSON, "application/json", id="json"),
        pytest.param(HTML, "text/html", id="html"),
        pytest.param(UNKNOWN, None, id="unknown"),
        pytest.param(b"", None, id="empty"),
        pytest.param(b"RIFF\x00\x00\x00\x00WAVE", None, id="riff-other"),
    ],
)
def test_sniff_knows_the_formats_by_their_first_bytes(head: bytes, expected: str | None) -> None:
    """Magic bytes: ftyp at offset 4 (brand decides video or image), EBML, RIFF, JPEG, PNG, GIF."""
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        pytest.param("video/mp4", "video/mp4", id="video"),
        pytest.param("Image/WebP; charset=binary", "image/webp", id="case-and-params"),
        pytest.param("application/json; charset=utf-8", "application/json", id="json"),
        pytest.param("application/problem+json", "application/problem+json", id="problem-json"),
        pytest.param("text/html", "text/html", id="html"),
        pytest.param("application/octet-stream", None, id="octet-stream-says-nothing"),
        pytest.param("application/mp4", None, id="application-mp4-says-nothing"),
        pytest.param("binary/octet-stream", None, id="s3-binary"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="missing"),
        pytest.param("garbage", None, id="unparseable"),
    ],
)
def test_declared_kind_only_counts_types_that_say_what_the_body_is(
    content_type: str | None, expected: str | None
) -> None:
    """octet-stream, other application/* types and a missing header leave it to the bytes."""
    assert declared_kind(content_type) == expected


@pytest.mark.parametrize(
    ("variant", "content_type", "body"),
    [
        pytest.param("video", "video/mp4", MP4, id="mp4"),
        pytest.param("video", "video/quicktime", MOV, id="quicktime"),
        pytest.param("video", "video/webm", WEBM, id="webm"),
        pytest.param("video", "application/octet-stream", MP4, id="octet-stream-mp4"),
        pytest.param("video", None, MKV, id="untyped-matroska"),
        pytest.param("video", "video/x-future-codec", UNKNOWN, id="unknown-video-type"),
        pytest.param("video", None, UNKNOWN, id="untyped-unknown-bytes"),
        pytest.param("thumbnail", "image/webp", WEBP, id="webp"),
        pytest.param("thumbnail", "image/avif", AVIF, id="avif"),
        pytest.param("thumbnail", "image/png", JPEG, id="another-image-format"),
        pytest.param("spritesheet", "image/jpeg", JPEG, id="jpeg"),
        pytest.param("spritesheet", "binary/octet-stream", GIF, id="octet-stream-gif"),
        pytest.param("thumbnail", "image/webp", b"", id="empty-body"),
        pytest.param("future_variant", "application/json", JSON, id="variant-not-known-here"),
    ],
)
def test_what_was_asked_for_is_accepted(
    variant: str, content_type: str | None, body: bytes
) -> None:
    """The right kind, or no evidence against it, passes (unknown types are not refused)."""
    judge(ContentCheck(variant, "video_1"), content_type, body)


@pytest.mark.parametrize(
    ("variant", "content_type", "body", "came", "how"),
    [
        pytest.param("thumbnail", "video/mp4", MP4, "video/mp4", "Content-Type", id="mp4-as-thumb"),
        pytest.param("thumbnail", None, MP4, "video/mp4", "first bytes", id="untyped-mp4-as-thumb"),
        pytest.param(
            "spritesheet",
            "application/octet-stream",
            WEBM,
            "video/webm",
            "first bytes",
            id="octet-stream-webm-as-sprites",
        ),
        pytest.param(
            "thumbnail", "image/webp", MP4, "video/mp4", "first bytes", id="typed-image-but-mp4"
        ),
        pytest.param("video", "image/webp", WEBP, "image/webp", "Content-Type", id="webp-as-video"),
        pytest.param("video", "video/mp4", JPEG, "image/jpeg", "first bytes", id="typed-but-jpeg"),
        pytest.param("video", None, PNG, "image/png", "first bytes", id="untyped-png-as-video"),
        pytest.param(
            "video", "application/json", JSON, "application/json", "Content-Type", id="json-page"
        ),
        pytest.param("video", "text/html", HTML, "text/html", "Content-Type", id="html-page"),
        pytest.param("video", None, JSON, "application/json", "first bytes", id="untyped-json"),
        pytest.param("video", "audio/mp4", UNKNOWN, "audio/mp4", "Content-Type", id="audio"),
    ],
)
def test_the_wrong_kind_is_an_integrity_error_naming_both(
    variant: str, content_type: str | None, body: bytes, came: str, how: str
) -> None:
    """A declared or recognised kind other than the variant's raises, naming asked and came."""
    with pytest.raises(ContentIntegrityError) as info:
        judge(ContentCheck(variant, "video_1"), content_type, body)
    text = str(info.value)
    assert f"the {variant} of video_1" in text and f"sent {came} (by its {how})" in text
    assert info.value.request_id == "req_7"


def test_the_verdict_waits_for_the_head_across_small_pieces() -> None:
    """Pieces shorter than the head are gathered; the verdict comes once HEAD bytes are in."""
    check = ContentCheck("thumbnail", "video_1")
    check.answer(None)
    check.feed(0, MP4[:5])  # too few bytes to tell: no verdict yet
    with pytest.raises(ContentIntegrityError, match="video/mp4"):
        check.feed(5, MP4[5:HEAD])


def test_a_short_body_is_judged_at_its_end() -> None:
    """A body shorter than HEAD gets its verdict when it ends."""
    check = ContentCheck("video", "video_1")
    check.answer(None)
    check.feed(0, JPEG[:12])
    with pytest.raises(ContentIntegrityError, match="image/jpeg"):
        check.end()


def test_an_answer_that_starts_over_is_judged_again() -> None:
    """A new answer from byte 0 forgets the old head; later pieces past the head are ignored."""
    check = ContentCheck("video", "video_1")
    check.answer("video/mp4")
    check.feed(0, MP4)
    check.feed(len(MP4), JPEG)  # past the head: not a new start
    check.answer(None)  # the download starts over
    with pytest.raises(ContentIntegrityError, match="image/png"):
        check.feed(0, PNG)
