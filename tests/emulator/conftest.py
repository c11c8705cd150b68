"""Fixtures for the emulator's tests: a controllable clock, emulators, and an API caller that
checks every JSON answer against the spec's schemas."""

from __future__ import annotations

import contextlib
import copy
import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import attrs
import pytest
from jsonschema import Draft202012Validator

from videoclient.emulator import Emulator, EmulatorConfig

KEY = "sk-test-emulator-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

#: OpenAI's error shape (the spec has no schema for it).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string", "minLength": 1},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}

#: (method, path pattern under the base) -> schema of a 200 answer.
ANSWER_SCHEMAS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/videos$"), "VideoResource"),
    ("GET", re.compile(r"^/videos$"), "VideoListResource"),
    ("POST", re.compile(r"^/videos/characters$"), "VideoCharacterResource"),
    ("GET", re.compile(r"^/videos/characters/[^/]+$"), "VideoCharacterResource"),
    ("POST", re.compile(r"^/videos/(edits|extensions)$"), "VideoResource"),
    ("GET", re.compile(r"^/videos/[^/]+$"), "VideoResource"),
    ("DELETE", re.compile(r"^/videos/[^/]+$"), "DeletedVideoResource"),
    ("POST", re.compile(r"^/videos/[^/]+/remix$"), "VideoResource"),
)


class FakeClock:
    """Wall-clock seconds that move only when told to."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SpecSchemas:
    """Validators for the spec's components: strict, and with the size enum relaxed.

    The emulator accepts any ``WxH`` (gateways serve other sizes) and echoes it, so answers
    for sizes outside the spec's enum are checked against a copy without that enum.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.components = spec["components"]
        relaxed = copy.deepcopy(self.components)
        relaxed["schemas"]["VideoSize"].pop("enum")
        self.relaxed = relaxed
        self.size_enum = set(self.components["schemas"]["VideoSize"]["enum"])

    def validate(self, name: str, value: Any, *, strict: bool | None = None) -> None:
        if strict is None:
            strict = all(size in self.size_enum for size in _sizes(value))
        components = self.components if strict else self.relaxed
        schema = {"$ref": f"#/components/schemas/{name}", "components": components}
        Draft202012Validator(schema).validate(value)


def _sizes(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "data" in value and isinstance(value["data"], list):
            return [s for item in value["data"] for s in _sizes(item)]
        return [value["size"]] if "size" in value else []
    return []


@attrs.frozen
class Answer:
    """A response, read whole."""

    status: int
    headers: Any
    body: Any  # decoded JSON, or bytes for anything else

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict) and "error" in self.body, self.body
        return dict(self.body["error"])


class Api:
    """Calls the emulator and checks each JSON answer against the spec (or the error shape)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, schemas: SpecSchemas):
        self.session = session
        self.base_url = base_url
        self.schemas = schemas

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Answer:
        sent = {**(AUTH if auth else {}), **(headers or {})}
        url = path if path.startswith("http") else self.base_url + path
        async with self.session.request(
            method, url, headers=sent, allow_redirects=False, **kwargs
        ) as resp:
            raw = await resp.read()
            body: Any = raw
            if resp.content_type == "application/json":
                body = await resp.json()
                self._check(method, resp.url.path, resp.status, body)
            return Answer(resp.status, resp.headers, body)

    def _check(self, method: str, path: str, status: int, body: Any) -> None:
        if status >= 400:
            Draft202012Validator(ERROR_SCHEMA).validate(body)
            return
        rel = re.sub(r"^(/openai)?/v1", "", path)
        for m, pattern, name in ANSWER_SCHEMAS:
            if m == method and pattern.match(rel):
                self.schemas.validate(name, body)
                return

    async def create(self, **fields: Any) -> dict[str, Any]:
        """POST /videos with JSON ``fields`` (prompt defaults); assert 200; return the video."""
        fields.setdefault("prompt", "a red fox running through snow")
        fields.setdefault("size", "64x64")
        fields.setdefault("seconds", "1")
        answer = await self("POST", "/videos", json=fields)
        assert answer.status == 200, answer.body
        return dict(answer.body)

    async def get(self, video_id: str) -> dict[str, Any]:
        answer = await self("GET", f"/videos/{video_id}")
        assert answer.status == 200, answer.body
        return dict(answer.body)


StartEmulator = Callable[..., Awaitable[Emulator]]


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand."""
    return FakeClock()


@pytest.fixture
async def start_emulator() -> AsyncIterator[StartEmulator]:
    """Start emulators (EmulatorConfig fields as keywords, plus ``clock=``); all stop at teardown."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(*, clock: Callable[[], float] | None = None, **fields: Any) -> Emulator:
            fields.setdefault("render_seconds", 10.0)
            emulator = Emulator(EmulatorConfig(**fields), **({"clock": clock} if clock else {}))
            return await stack.enter_async_context(emulator)

        yield start


@pytest.fixture
async def emu(start_emulator: StartEmulator, clock: FakeClock) -> Emulator:
    """An emulator on the fake clock: jobs take 10 s of it (1 s queued, 9 s rendering)."""
    return await start_emulator(clock=clock)


@pytest.fixture(scope="session")
def schemas(spec: dict[str, Any]) -> SpecSchemas:
    """The spec's component schemas, as validators."""
    return SpecSchemas(spec)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def api(session: aiohttp.ClientSession, emu: Emulator, schemas: SpecSchemas) -> Api:
    """An :class:`Api` for the ``emu`` emulator."""
    return Api(session, emu.base_url, schemas)


@pytest.fixture
def make_api(session: aiohttp.ClientSession, schemas: SpecSchemas) -> Callable[[Emulator], Api]:
    """Build an :class:`Api` for any emulator."""
    return lambda emulator: Api(session, emulator.base_url, schemas)


# -- media ---------------------------------------------------------------------------------


def image_bytes(width: int, height: int, color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    """A solid image."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


def mp4_bytes(width: int, height: int, seconds: int, fps: int = 24) -> bytes:
    """A small H.264 MP4 of solid grey frames."""
    import av
    from PIL import Image

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_image(Image.new("RGB", (width, height), (i % 255, 90, 90)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


@attrs.frozen
class Decoded:
    width: int
    height: int
    frames: int
    fps: float
    duration: float
    codec: str


def decode_mp4(data: bytes) -> Decoded:
    """Decode every frame of an MP4 and report what it holds."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert stream.duration is not None and stream.time_base is not None
        return Decoded(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frames=frames,
            fps=float(stream.average_rate or 0),
            duration=float(stream.duration * stream.time_base),
            codec=stream.codec_context.name,
        )


def mean_colour(data: bytes) -> tuple[float, float, float]:
    """The average RGB of an image."""
    from PIL import Image, ImageStat

    with Image.open(io.BytesIO(data)) as img:
        stat = ImageStat.Stat(img.convert("RGB"))
        r, g, b = stat.mean
        return r, g, b
