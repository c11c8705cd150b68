"""Gateway mode: each quirk does what a gateway did to /v1/videos, over real sockets."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from videoclient.emulator import GATEWAY_ERROR_SHAPES, GATEWAY_QUIRKS, Emulator, EmulatorConfig
from videoclient.emulator._gateway import Gateway

from .conftest import AUTH, FakeClock, StartEmulator

JOB = {"prompt": "a heron in the rain", "size": "64x64", "seconds": "1"}


async def call(
    session: aiohttp.ClientSession,
    emulator: Emulator,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> tuple[int, Any, Any]:
    """(status, headers, body: decoded JSON or bytes) of one request to ``emulator``."""
    url = emulator.base_url + path
    sent = {**AUTH, **(headers or {})}
    async with session.request(method, url, headers=sent, allow_redirects=False, **kwargs) as r:
        raw = await r.read()
        body: Any = raw
        if r.content_type in ("application/json", "application/problem+json"):
            body = json.loads(raw)
        return r.status, r.headers, body


async def created(session: aiohttp.ClientSession, emulator: Emulator, **headers: str) -> str:
    status, _, body = await call(session, emulator, "POST", "/videos", json=JOB, headers=headers)
    assert status == 200, body
    return str(body["id"])


def test_quirk_names_all_and_unknown() -> None:
    """`all` names every quirk, a list names some, an unknown name is refused."""
    assert EmulatorConfig(gateway_quirks="all").gateway_quirks == GATEWAY_QUIRKS
    assert EmulatorConfig(gateway_quirks="refuse-list, restamp-ids").gateway_quirks == {
        "refuse-list",
        "restamp-ids",
    }
    assert EmulatorConfig().gateway_quirks == frozenset()
    with pytest.raises(ValueError, match="teleport"):
        EmulatorConfig(gateway_quirks="teleport")
    with pytest.raises(ValueError, match="gateway_error_shape"):
        EmulatorConfig(gateway_error_shape="xml")


def test_restamped_ids_decode_to_the_job_and_never_repeat() -> None:
    """Each re-stamp is a new id that decodes back to the job; other ids pass unchanged."""
    gw = Gateway(EmulatorConfig(gateway_quirks="restamp-ids"))
    stamps = {gw.restamp("video_abc") for _ in range(5)}
    assert len(stamps) == 5 and "video_abc" not in stamps
    assert {Gateway.original(s) for s in stamps} == {"video_abc"}
    assert Gateway.original("video_abc") == "video_abc"
    assert Gateway.original("video_!!") == "video_!!"


async def test_restamp_ids_changes_the_id_on_every_retrieve_and_keeps_each_working(
    start_emulator: StartEmulator, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """A retrieve answers a new id each time; every id handed out works for later calls."""
    emu = await start_emulator(clock=clock, gateway_quirks="restamp-ids")
    first = await created(session, emu)
    seen = [first]
    for _ in range(3):
        status, _, body = await call(session, emu, "GET", f"/videos/{seen[-1]}")
        assert status == 200
        seen.append(body["id"])
    assert len(set(seen)) == 4
    clock.advance(11)
    for ident in seen[1:]:
        status, headers, _ = await call(session, emu, "GET", f"/videos/{ident}/content")
        assert status == 200 and headers["Content-Type"] == "video/mp4"
    status, _, remix = await call(
        session, emu, "POST", f"/videos/{seen[2]}/remix", json={"prompt": "p"}
    )
    assert status == 200 and remix["remixed_from_video_id"] == first
    status, _, gone = await call(session, emu, "DELETE", f"/videos/{seen[3]}")
    assert status == 200 and gone["deleted"] is True
    assert emu.request_log[1].video_id == first  # the log names the job itself


async def test_without_quirks_ids_and_headers_are_the_emulators_own(
    start_emulator: StartEmulator, session: aiohttp.ClientSession
) -> None:
    """Gateway mode off: a retrieve echoes the id and carries the hint and the request id."""
    emu = await start_emulator()
    ident = await created(session, emu)
    status, headers, body = await call(session, emu, "GET", f"/videos/{ident}")
    assert status == 200 and body["id"] == ident
    assert "openai-poll-after-ms" in headers and "x-request-id" in headers


async def test_drop_headers_removes_hints_request_ids_and_validators(
    start_emulator: StartEmulator, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """Answers lose the poll hint, request id, ETag, Accept-Ranges and the replay mark."""
    emu = await start_emulator(clock=clock, gateway_quirks="drop-headers")
    ident = await created(session, emu, **{"Idempotency-Key": "k1"})
    status, headers, body = await call(
        session, emu, "POST", "/videos", json=JOB, headers={"Idempotency-Key": "k1"}
    )
    assert status == 200 and body["id"] == ident and emu.jobs_created == 1  # still deduplicated
    assert "idempotent-replayed" not in headers
    _, headers, _ = await call(session, emu, "GET", f"/videos/{ident}")
    assert "openai-poll-after-ms" not in headers and "x-request-id" not in headers
    clock.advance(11)
    status, headers, data = await call(
        session, emu, "GET", f"/videos/{ident}/content", headers={"Range": "bytes=4-11"}
    )
    assert status == 206 and data == b"ftypisom"  # ranges work, with no validator
    assert "ETag" not in headers and "Accept-Ranges" not in headers


def _message_of(shape: str, body: Any) -> str:
    """Where each shape keeps the server's words."""
    if shape == "detail":
        return str(body["detail"])
    if shape == "detail-list":
        return str(body["detail"][0]["msg"])
    if shape == "error-string":
        return str(body["error"])
    if shape == "problem":
        assert (body["type"], body["title"], body["status"]) == ("about:blank", "Not Found", 404)
        return str(body["detail"])
    if shape == "message":
        return str(body["message"])
    assert shape == "litellm"
    error = body["error"]
    assert (error["type"], error["param"], error["code"]) == (None, None, "404")
    assert error["message"].startswith("litellm.NotFoundError: OpenAIException - {")
    inner = json.loads(error["message"].partition(" - ")[2])
    return str(inner["error"]["message"])


@pytest.mark.parametrize("shape", [pytest.param(s, id=s) for s in GATEWAY_ERROR_SHAPES])
async def test_error_shapes_wrap_errors_in_the_chosen_shape(
    start_emulator: StartEmulator, session: aiohttp.ClientSession, shape: str
) -> None:
    """With one shape chosen, an error answer comes in that shape, the message inside."""
    emu = await start_emulator(gateway_quirks="error-shapes", gateway_error_shape=shape)
    for _ in range(2):
        status, headers, body = await call(session, emu, "GET", "/videos/video_nope")
        assert status == 404
        assert _message_of(shape, body) == "Video with id 'video_nope' not found."
    expected = "application/problem+json" if shape == "problem" else "application/json"
    assert headers["Content-Type"].startswith(expected)


async def test_error_shapes_take_turns_without_a_chosen_shape(
    start_emulator: StartEmulator, session: aiohttp.ClientSession
) -> None:
    """Each error takes the next shape; OpenAI's own shape never appears."""
    emu = await start_emulator(gateway_quirks="error-shapes")
    for shape in (*GATEWAY_ERROR_SHAPES, GATEWAY_ERROR_SHAPES[0]):
        status, _, body = await call(session, emu, "GET", "/videos/video_nope")
        assert status == 404
        assert _message_of(shape, body) == "Video with id 'video_nope' not found."
    status, _, body = await call(session, emu, "POST", "/videos", json={"size": "64x64"})
    assert status == 400 and "prompt" in body["detail"][0]["msg"]  # the next one: detail-list


async def test_error_shapes_wrap_server_errors_too(
    start_emulator: StartEmulator, session: aiohttp.ClientSession
) -> None:
    """An upstream 503 (an injected fault) reaches the client in LiteLLM's wrapped form."""
    emu = await start_emulator(
        gateway_quirks="error-shapes",
        gateway_error_shape="litellm",
        fault_rate=1.0,
        fault_kinds={"http_503"},
    )
    status, _, body = await call(session, emu, "POST", "/videos", json=JOB)
    assert status == 503 and body["error"]["code"] == "503"
    assert body["error"]["message"].startswith("litellm.ServiceUnavailableError: ")
    assert emu.jobs_created == 0


async def test_ignore_variant_always_serves_the_video(
    start_emulator: StartEmulator, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """A thumbnail or spritesheet download answers the MP4, as a gateway dropping the query."""
    emu = await start_emulator(clock=clock, gateway_quirks="ignore-variant")
    ident = await created(session, emu)
    clock.advance(11)
    for variant in ("thumbnail", "spritesheet"):
        status, headers, data = await call(
            session, emu, "GET", f"/videos/{ident}/content", params={"variant": variant}
        )
        assert status == 200 and headers["Content-Type"] == "video/mp4"
        assert data[4:8] == b"ftyp"
    assert emu.request_log[-1].query == {"variant": "spritesheet"}  # logged as sent
    assert emu.renders == {"video": 1}


async def test_refuse_list_and_delete(
    start_emulator: StartEmulator, session: aiohttp.ClientSession
) -> None:
    """List answers 400, delete 405 with FastAPI's body; the job is still there."""
    emu = await start_emulator(gateway_quirks="refuse-list,refuse-delete")
    ident = await created(session, emu)
    status, _, body = await call(session, emu, "GET", "/videos")
    assert status == 400 and "not supported" in body["error"]["message"]
    status, headers, body = await call(session, emu, "DELETE", f"/videos/{ident}")
    assert (status, body, headers["Allow"]) == (405, {"detail": "Method Not Allowed"}, "GET")
    status, _, body = await call(session, emu, "GET", f"/videos/{ident}")
    assert status == 200 and body["id"] == ident
    assert emu.count("GET", "/v1/videos", status=400) == 1


async def test_drop_idempotency_makes_a_job_per_create(
    start_emulator: StartEmulator, session: aiohttp.ClientSession
) -> None:
    """The same Idempotency-Key twice makes two jobs: the gateway did not forward it."""
    emu = await start_emulator(gateway_quirks="drop-idempotency")
    ids = {await created(session, emu, **{"Idempotency-Key": "same"}) for _ in range(3)}
    assert len(ids) == 3 and emu.jobs_created == 3
    assert emu.request_log[0].headers["idempotency-key"] == "same"  # logged as sent


async def test_quirks_leave_other_protocols_alone(
    start_emulator: StartEmulator, session: aiohttp.ClientSession
) -> None:
    """Gateway mode plays only on the OpenAI routes: the health route keeps its request id."""
    emu = await start_emulator(gateway_quirks="all")
    async with session.get(emu.url + "/_emulator/health") as resp:
        assert resp.status == 200 and "x-request-id" in resp.headers
