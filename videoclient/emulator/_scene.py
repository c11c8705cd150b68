"""The pictures the emulator renders: frames you can tell apart by prompt, time and reference.

Each segment gets a still background (the reference image, or a gradient whose colours come
from a hash of the prompt) with the prompt's text on it, drawn once. Every frame adds a
ball on a Lissajous path, a progress bar and a time code, so neighbouring frames differ and
a viewer sees motion. Drawing is deterministic: the same job always gives the same pixels.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._media import load_pil
from ._store import Segment

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["Scene"]


def _colours(prompt: str) -> tuple[tuple[int, int, int], ...]:
    digest = hashlib.sha256(prompt.encode()).digest()
    return tuple((digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 12, 3))


def _wrap(draw: Any, text: str, font: Any, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
            if len(lines) == max_lines:
                break
        else:
            line = candidate
    else:
        if line:
            lines.append(line)
    return lines[:max_lines]


class Scene:
    """The frames of one job's video.

    Args:
        width, height: Frame size in pixels.
        fps: Frames per second.
        segments: What each stretch of the video shows.
        reference: Loads a segment's reference picture by file name.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: int,
        segments: Sequence[Segment],
        reference: Callable[[str], Image.Image],
    ) -> None:
        self._pil = load_pil()
        from PIL import ImageDraw, ImageFont, ImageOps

        self._draw, self._ops = ImageDraw, ImageOps
        self.width, self.height, self.fps = width, height, fps
        self.segments = tuple(segments)
        self._reference = reference
        self._starts: list[int] = []
        total = 0
        for seg in self.segments:
            self._starts.append(total)
            total += seg.seconds * fps
        self.frame_count = total
        side = min(width, height)
        self._font = ImageFont.load_default(size=max(6, side // 14))
        self._small = ImageFont.load_default(size=max(6, side // 22))
        self._backgrounds: dict[int, Image.Image] = {}

    def _segment_of(self, index: int) -> int:
        seg = 0
        while seg + 1 < len(self._starts) and self._starts[seg + 1] <= index:
            seg += 1
        return seg

    def _background(self, seg: int) -> Image.Image:
        if seg in self._backgrounds:
            return self._backgrounds[seg]
        segment = self.segments[seg]
        size = (self.width, self.height)
        top, bottom, _, _ = _colours(segment.prompt)
        if segment.reference is not None:
            ref = self._reference(segment.reference)
            img = self._ops.fit(ref, size, method=self._pil.Resampling.BILINEAR)
        else:
            gray = self._pil.linear_gradient("L").resize(size)
            img = self._ops.colorize(gray, top, bottom)
        draw = self._draw.Draw(img)
        margin = max(1, self.width // 20)
        bbox = self._font.getbbox("Ag")
        line_height = max(1, int((bbox[3] - bbox[1]) * 1.3))
        max_lines = max(1, (self.height * 2 // 3) // line_height)
        lines = _wrap(draw, segment.prompt, self._font, self.width - 2 * margin, max_lines)
        draw.multiline_text(
            (margin, margin),
            "\n".join(lines),
            font=self._font,
            fill=(255, 255, 255),
            stroke_width=1 if self.height >= 64 else 0,
            stroke_fill=(0, 0, 0),
        )
        self._backgrounds[seg] = img
        return img

    def frame(self, index: int) -> Image.Image:
        """Frame ``index`` (0-based) as an RGB image."""
        seg = self._segment_of(index)
        img = self._background(seg).copy()
        draw = self._draw.Draw(img)
        w, h = self.width, self.height
        t = index / self.fps
        _, _, ball, bar = _colours(self.segments[seg].prompt)
        r = max(1, min(w, h) // 10)
        x = r + (w - 2 * r) * (0.5 + 0.5 * math.sin(2 * math.pi * t / 2.0))
        y = r + (h - 2 * r) * (0.5 + 0.5 * math.sin(2 * math.pi * t / 1.3 + 1.0))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=ball, outline=(255, 255, 255))
        bar_h = max(1, h // 40)
        bar_w = round(w * (index + 1) / max(1, self.frame_count))
        if bar_w >= 1:  # on a narrow frame the first frames have no bar yet
            draw.rectangle((0, h - bar_h, bar_w - 1, h - 1), fill=bar)
        if h >= 48:
            text_h = self._small.getbbox("0")[3]
            draw.text(
                (max(1, w // 40), h - bar_h - text_h * 1.4),
                f"{t:6.2f}s #{index}",
                font=self._small,
                fill=(255, 255, 0),
            )
        return img

    def thumbnail(self) -> Image.Image:
        """The first frame."""
        return self.frame(0)

    def spritesheet(self, *, tile_width: int = 256, max_tiles: int = 25) -> Image.Image:
        """A grid of frames, one per second of video (at most ``max_tiles``), row by row."""
        count = max(1, min(max_tiles, self.frame_count // self.fps))
        step = self.frame_count / count
        cols = math.ceil(math.sqrt(count))
        rows = math.ceil(count / cols)
        tw = min(self.width, tile_width)
        th = max(1, round(self.height * tw / self.width))
        sheet: Image.Image = self._pil.new("RGB", (cols * tw, rows * th))
        for n in range(count):
            tile = self.frame(int(n * step)).resize((tw, th), self._pil.Resampling.BILINEAR)
            sheet.paste(tile, ((n % cols) * tw, (n // cols) * th))
        return sheet
