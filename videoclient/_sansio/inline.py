"""An asset carried inline as base64 in a JSON answer, decoded as the answer streams.

Vertex returns a finished video as ``"bytesBase64Encoded": "<tens of megabytes>"`` inside
the operation. :class:`InlineField` takes the answer in pieces, finds the field, and hands
out the decoded bytes of each piece, so a download holds one piece at a time instead of
the JSON, its string and the decoded copy. The rest of the JSON (outside the value) is
kept, up to a bound, to read the operation when it holds no video.

:class:`RecentAnswers` keeps the last finished operations' answers for a short while, so
the download that follows the poll which saw ``done`` decodes that answer instead of asking
for the operation again.

Pure: bytes in, bytes out (times are passed in).
"""

from __future__ import annotations

import base64
import binascii
import functools
import sys
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["ANSWER_TTL", "MAX_ANSWERS", "MAX_OUTSIDE", "InlineField", "RecentAnswers"]

#: JSON kept outside the base64 value (enough for any operation's metadata and errors).
MAX_OUTSIDE = 1024 * 1024

_SPACE = b" \t\r\n"

if sys.version_info >= (3, 11):

    def _stdlib_decode(data: bytes | memoryview) -> bytes:
        """Strict base64 (what ``b64decode(validate=True)`` does), read in place."""
        return binascii.a2b_base64(data, strict_mode=True)

else:  # pragma: no cover - 3.10 has no strict_mode; b64decode would copy a memoryview

    def _stdlib_decode(data: bytes | memoryview) -> bytes:
        return base64.b64decode(bytes(data), validate=True)


@functools.cache
def decoder() -> Callable[[bytes | memoryview], bytes]:
    """The strict base64 decoder: pybase64's (``pip install 'videoclient[speedups]'``), whose
    SIMD code decodes a video ~50 times faster than the standard library, else binascii's.

    Both refuse the same input (a character outside the alphabet, padding mid-value) with
    :class:`binascii.Error`. Looked up on the first inline video, not at import.
    """
    try:
        import pybase64
    except ImportError:
        return _stdlib_decode

    def decode(data: bytes | memoryview) -> bytes:
        # Typed as bytes here: without the extra installed, mypy knows nothing of pybase64.
        decoded: bytes = pybase64.b64decode(data, validate=True)
        return decoded

    return decode


class InlineField:
    """Decodes the first ``"<name>": "<base64>"`` of a JSON byte stream.

    Args:
        name: The field's name.

    Attributes:
        found: The field's value has started.
        closed: Its closing quote has been seen.
        decoded: Bytes handed out so far.
        outside: The JSON around the value (at most :data:`MAX_OUTSIDE` bytes kept).
    """

    def __init__(self, name: str) -> None:
        self._key = b'"' + name.encode() + b'"'
        self.reset()

    def reset(self) -> None:
        """Start over (the answer is being sent again from its first byte)."""
        self.found = False
        self.closed = False
        self.decoded = 0
        self.outside = bytearray()
        self.overflowed = False
        self._scan = b""  # bytes before the value not yet known to hold no key
        self._after_key = False
        self._colon = False
        self._slash = b""
        self._carry = b""  # base64 characters short of a 4-character group

    def around(self) -> bytes:
        """The JSON kept outside the value, including what is held back to find the key."""
        return bytes(self.outside) + self._scan

    def _keep(self, data: bytes) -> None:
        room = MAX_OUTSIDE - len(self.outside)
        if len(data) > room:
            self.overflowed = True
        self.outside += data[: max(0, room)]

    def feed(self, data: bytes) -> bytes:
        """The decoded bytes that ``data`` (the next piece of the answer) completes.

        The piece is read in place (by offsets and a memoryview): a piece that holds the
        whole value is decoded without being copied first.

        Raises:
            ValueError: The value is not valid base64 (or uses a JSON escape besides ``\\/``).
        """
        if self.closed:
            self._keep(data)
            return b""
        start = 0
        if not self.found:
            data, start = self._find(data)
            if not self.found:
                return b""
        if self._slash:
            data, start, self._slash = self._slash + data[start:], 0, b""
        end = data.find(b'"', start)
        stop = len(data) if end < 0 else end
        if end < 0 and stop > start and data[stop - 1] == 0x5C:  # "\"
            stop, self._slash = stop - 1, b"\\"  # half of a "\/" split across pieces
        value: bytes | memoryview
        if data.find(b"\\", start, stop) >= 0:
            value = data[start:stop].replace(b"\\/", b"/")
            if b"\\" in value:
                raise ValueError("the inline video's base64 holds a JSON escape")
        else:
            value = memoryview(data)[start:stop]
        if self._carry:
            value = self._carry + value
        whole = len(value) - len(value) % 4
        self._carry = bytes(value[whole:])
        try:
            out = decoder()(value[:whole]) if whole else b""
        except binascii.Error as exc:
            raise ValueError(f"the inline video is not valid base64: {exc}") from None
        if end >= 0:
            if self._carry:
                raise ValueError("the inline video's base64 ends mid-group")
            self.closed = True
            self._keep(data[end:])
        self.decoded += len(out)
        return out

    def _find(self, data: bytes) -> tuple[bytes, int]:
        """Look for the key (and then ``: "``): the buffer and where the value starts in it."""
        buf = self._scan + data if self._scan else data
        pos = 0
        if not self._after_key:
            at = buf.find(self._key)
            if at < 0:
                keep = max(0, len(buf) - (len(self._key) - 1))  # a key split across two pieces
                self._keep(buf[:keep])
                self._scan = buf[keep:]
                return buf, len(buf)
            pos = at + len(self._key)
            self._keep(buf[:pos])
            self._after_key = True
            self._scan = b""
        for i in range(pos, len(buf)):
            byte = buf[i]
            if byte in _SPACE:
                continue
            if byte == 0x3A and not self._colon:  # ":"
                self._colon = True
                continue
            if byte == 0x22 and self._colon:  # the opening quote
                self._keep(buf[pos : i + 1])
                self.found = True
                return buf, i + 1
            raise ValueError("the inline video field is not a string")
        self._keep(buf[pos:])  # the rest of ': "' comes with the next piece
        return buf, len(buf)


#: Finished answers a client keeps for the download that follows (the newest ones).
MAX_ANSWERS = 2
#: Seconds a kept answer is used for; later, the download asks for the operation again.
ANSWER_TTL = 60.0


class RecentAnswers:
    """The last :data:`MAX_ANSWERS` finished answers of one client, each for :data:`ANSWER_TTL` s.

    A poll that sees an operation ``done`` has just read the whole answer, video included;
    :meth:`take` hands it to the download that follows, once, so the operation is not fetched
    and sent again. What is kept is bounded: a few answers for a minute, never tied to the
    :class:`~videoclient.Video` the caller holds (which has the base64 cut out). An answer
    taken is forgotten; an older or stale one is dropped on the next :meth:`keep`,
    :meth:`take` or :meth:`prune` (the client calls it when the answer's time is up, so an
    idle client holds nothing past it), and all of them by :meth:`clear` (the client closing).
    """

    def __init__(self, limit: int = MAX_ANSWERS, ttl: float = ANSWER_TTL) -> None:
        self._limit = limit
        self._ttl = ttl
        self._answers: OrderedDict[str, tuple[float, bytes | bytearray]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def ttl(self) -> float:
        """Seconds an answer is kept."""
        return self._ttl

    def prune(self, now: float) -> None:
        """Drop every answer older than :attr:`ttl` at ``now``."""
        self._expire(now)

    def _expire(self, now: float) -> None:
        while self._answers:
            key, (kept_at, _) = next(iter(self._answers.items()))
            if now - kept_at < self._ttl:
                return
            del self._answers[key]

    def keep(self, key: str, body: bytes | bytearray, now: float) -> None:
        """Remember ``body`` as the finished answer for ``key`` (replacing an older one)."""
        self._answers.pop(key, None)
        self._answers[key] = (now, body)
        while len(self._answers) > self._limit:
            self._answers.popitem(last=False)
        self._expire(now)

    def take(self, key: str, now: float) -> bytes | bytearray | None:
        """The answer kept for ``key`` if it is fresh (and forget it), else None."""
        self._expire(now)
        kept = self._answers.pop(key, None)
        return None if kept is None else kept[1]

    def clear(self) -> None:
        """Forget every answer."""
        self._answers.clear()
