"""An asset carried inline as base64 in a JSON answer, decoded as the answer streams.

Vertex returns a finished video as ``"bytesBase64Encoded": "<tens of megabytes>"`` inside
the operation. :class:`InlineField` takes the answer in pieces, finds the field, and hands
out the decoded bytes of each piece, so a download holds one piece at a time instead of
the JSON, its string and the decoded copy. The rest of the JSON (outside the value) is
kept, up to a bound, to read the operation when it holds no video.

Pure: bytes in, bytes out.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["MAX_OUTSIDE", "InlineField"]

#: JSON kept outside the base64 value (enough for any operation's metadata and errors).
MAX_OUTSIDE = 1024 * 1024

_SPACE = b" \t\r\n"


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

        Raises:
            ValueError: The value is not valid base64 (or uses a JSON escape besides ``\\/``).
        """
        if self.closed:
            self._keep(data)
            return b""
        if not self.found:
            data = self._find(data)
            if not self.found:
                return b""
        if self._slash:
            data, self._slash = self._slash + data, b""
        end = data.find(b'"')
        value, rest = (data, b"") if end < 0 else (data[:end], data[end:])
        if end < 0 and value.endswith(b"\\"):
            value, self._slash = value[:-1], b"\\"  # half of a "\/" split across pieces
        if b"\\" in value:
            value = value.replace(b"\\/", b"/")
            if b"\\" in value:
                raise ValueError("the inline video's base64 holds a JSON escape")
        chunk = self._carry + value if self._carry else value
        whole = len(chunk) - len(chunk) % 4
        self._carry = chunk[whole:]
        try:
            out = base64.b64decode(chunk[:whole], validate=True) if whole else b""
        except binascii.Error as exc:
            raise ValueError(f"the inline video is not valid base64: {exc}") from None
        if end >= 0:
            if self._carry:
                raise ValueError("the inline video's base64 ends mid-group")
            self.closed = True
            self._keep(rest)
        self.decoded += len(out)
        return out

    def _find(self, data: bytes) -> bytes:
        """Look for the key (and then ``: "``); return what follows the opening quote."""
        buf = self._scan + data
        if not self._after_key:
            at = buf.find(self._key)
            if at < 0:
                keep = len(self._key) - 1  # a key split across two pieces
                self._keep(buf[: max(0, len(buf) - keep)])
                self._scan = buf[max(0, len(buf) - keep) :]
                return b""
            self._keep(buf[: at + len(self._key)])
            buf = buf[at + len(self._key) :]
            self._after_key = True
            self._scan = b""
        for i, byte in enumerate(buf):
            if byte in _SPACE:
                continue
            if byte == 0x3A and not self._colon:  # ":"
                self._colon = True
                continue
            if byte == 0x22 and self._colon:  # the opening quote
                self._keep(buf[: i + 1])
                self.found = True
                return buf[i + 1 :]
            raise ValueError("the inline video field is not a string")
        self._keep(buf)  # the rest of ': "' comes with the next piece
        return b""
