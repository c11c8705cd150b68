"""Whether a download is what was asked for: a video for ``video``, an image otherwise.

A gateway that drops the ``variant`` query answers a thumbnail request with the MP4, and a
proxy can answer 200 with an HTML or JSON page; saved as asked, either is a wrong file
with the right name. :class:`ContentCheck` judges each answer twice:

- by its ``Content-Type``, when it names a kind: ``video/*`` or ``image/*`` of the other
  kind, ``text/*``, ``audio/*``, JSON, XML or HTML are refused; a missing type,
  ``application/octet-stream`` and other ``application/*`` types say nothing;
- by its first bytes, either way: MP4/MOV (``ftyp`` at offset 4; AVIF and HEIF brands are
  images), WebM/Matroska, AVI, JPEG, PNG, WebP, GIF, and JSON or HTML text. Bytes in no
  format known here are accepted (a type this module does not know is not refused).

Invariants kept here:
- an answer is refused only on evidence (a declared kind or recognised bytes), never for
  being unknown;
- the verdict on the bytes comes at the latest when :data:`HEAD` bytes arrived, or at
  the end of a shorter body, so a stream fails at its first chunk.

Pure: fed values, no I/O; tested with canned heads.
"""

from __future__ import annotations

import attrs

from .errors import ContentIntegrityError

__all__ = ["HEAD", "ContentCheck", "declared_kind", "expected_kind", "sniff"]

#: Bytes of an asset's start the verdict on its format needs.
HEAD = 64

#: What each variant must be: the major part of its media type.
_EXPECTED = {"video": "video", "thumbnail": "image", "spritesheet": "image"}

#: ISO base media brands of still images (``ftyp`` boxes that are not videos).
_IMAGE_BRANDS = {b"avif": "image/avif", b"heic": "image/heic", b"heix": "image/heic",
                 b"mif1": "image/heif", b"heif": "image/heif"}  # fmt: skip

#: Major types that are never a video nor an image.
_OTHER_MAJORS = frozenset({"text", "audio", "font", "model", "message", "multipart"})
#: ``application/*`` types that are documents, not media.
_DOCUMENTS = frozenset({"json", "xml", "html", "xhtml+xml", "javascript", "x-www-form-urlencoded"})


def expected_kind(variant: str) -> str | None:
    """``"video"`` or ``"image"``: what ``variant`` must be (None for a variant not known here)."""
    return _EXPECTED.get(variant)


def _major(media_type: str) -> str:
    return media_type.split("/", 1)[0]


def declared_kind(content_type: str | None) -> str | None:
    """The media type a ``Content-Type`` declares, if it says what kind of thing the body is.

    None for a missing or unparseable header and for ``application/*`` types that may hold
    anything (``octet-stream``, ``mp4``, ``binary``...): only the bytes can tell then.
    """
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    major, slash, minor = media.partition("/")
    if not slash or not major or not minor:
        return None
    if major in ("video", "image") or major in _OTHER_MAJORS:
        return media
    if major == "application" and (minor in _DOCUMENTS or minor.endswith(("+json", "+xml"))):
        return media
    return None


def sniff(head: bytes) -> str | None:
    """The media type of an asset from its first bytes; None when the format is not known here."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return _IMAGE_BRANDS[brand]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM or another Matroska file
        return "video/webm" if b"webm" in head[:HEAD] else "video/x-matroska"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF":
        return {b"WEBP": "image/webp", b"AVI ": "video/x-msvideo"}.get(head[8:12])
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    text = head.lstrip(b" \t\r\n\xef\xbb\xbf")[:15].lower()
    if text.startswith((b'{"', b"{}", b"{\n", b"[{", b"[]")):
        return "application/json"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    return None


@attrs.define
class ContentCheck:
    """Judges the answers of one download against its variant.

    Call :meth:`answer` with each response that starts the asset at byte 0, :meth:`feed`
    with every piece (and its offset in the asset), and :meth:`end` when the body is
    complete. Each raises :class:`~videoclient.ContentIntegrityError` naming what was asked
    and what came, as soon as the evidence is in.

    Attributes:
        variant: The variant asked for.
        video_id: The job, for messages.
    """

    variant: str
    video_id: str
    _kind: str | None = attrs.field(init=False, default=None)
    _head: bytes = attrs.field(init=False, default=b"")
    _judged: bool = attrs.field(init=False, default=False)
    _request_id: str | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        self._kind = expected_kind(self.variant)
        self._judged = self._kind is None

    def _refuse(self, came: str, how: str) -> ContentIntegrityError:
        article = "an" if self._kind == "image" else "a"
        return ContentIntegrityError(
            f"asked for the {self.variant} of {self.video_id} ({article} {self._kind}), "
            f"but the server sent {came} (by its {how}); a gateway may have dropped the "
            "variant",
            status_code=200,
            request_id=self._request_id,
        )

    def answer(self, content_type: str | None, *, request_id: str | None = None) -> None:
        """Judge a response's ``Content-Type`` (its body starts the asset again)."""
        if self._kind is None:
            return
        self._request_id = request_id
        self._head, self._judged = b"", False
        declared = declared_kind(content_type)
        if declared is not None and _major(declared) != self._kind:
            raise self._refuse(declared, "Content-Type")

    def feed(self, offset: int, piece: bytes | memoryview) -> None:
        """Take a piece that starts at byte ``offset`` of the asset; judge once the head is in."""
        if self._judged or offset > len(self._head):
            return
        self._head = self._head[:offset] + bytes(piece[: HEAD - offset])
        if len(self._head) >= HEAD:
            self._judge()

    def end(self) -> None:
        """The body is complete: judge however few bytes it had."""
        if not self._judged:
            self._judge()

    def _judge(self) -> None:
        self._judged = True
        found = sniff(self._head)
        if found is not None and _major(found) != self._kind:
            raise self._refuse(found, "first bytes")
