"""Every operation of the spec over real sockets: statuses, JSON shapes, and error answers.

The ``api`` caller validates each JSON answer against the spec's schemas (or OpenAI's error
shape), so every test here also checks the wire format.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from videoclient.emulator import Emulator

from .conftest import Api, FakeClock, SpecSchemas, mp4_bytes


async def test_create_answers_a_queued_video_with_every_required_field(api: Api) -> None:
    """POST /videos answers 200 with a queued VideoResource echoing what was asked."""
    video = await api.create(prompt="a lighthouse", size="128x72", seconds="2", model="sora-2-pro")
    assert video["object"] == "video" and video["id"].startswith("video_")
    assert (video["status"], video["progress"]) == ("queued", 0)
    assert (video["prompt"], video["size"], video["seconds"], video["model"]) == (
        "a lighthouse",
        "128x72",
        "2",
        "sora-2-pro",
    )
    assert video["completed_at"] is None and video["expires_at"] is None
    assert video["error"] is None and video["remixed_from_video_id"] is None


async def test_create_defaults_model_size_and_seconds(api: Api) -> None:
    """Without model, size or seconds the job is sora-2, 720x1280, 4 seconds."""
    answer = await api("POST", "/videos", json={"prompt": "defaults"})
    assert answer.status == 200
    assert (answer.body["model"], answer.body["size"], answer.body["seconds"]) == (
        "sora-2",
        "720x1280",
        "4",
    )


async def test_create_accepts_integer_seconds_and_any_size(api: Api) -> None:
    """seconds may be an integer and size any WxH (as gateways allow)."""
    video = await api.create(seconds=3, size="100x50")
    assert (video["seconds"], video["size"]) == ("3", "100x50")


async def test_a_prompt_that_looks_like_json_is_a_prompt(api: Api) -> None:
    """Any string is a prompt, one that reads as a JSON object too (JSON and multipart)."""
    text = '{"scene": "beach", "mood": "calm"}'
    assert (await api.create(prompt=text, model="{m}"))["prompt"] == text
    form = aiohttp.FormData()
    form.add_field("prompt", text)
    answer = await api("POST", "/videos", data=form)
    assert answer.status == 200 and answer.body["prompt"] == text


async def test_json_nested_too_deep_is_a_400(api: Api) -> None:
    """A body nested past the parser's depth is the client's error (400), never a 500."""
    deep = b'{"prompt": ' + b"[" * 200_000 + b"}"
    answer = await api("POST", "/videos", data=deep, headers={"Content-Type": "application/json"})
    assert answer.status == 400 and answer.body["error"]["type"] == "invalid_request_error"


async def test_create_accepts_multipart(api: Api) -> None:
    """A multipart/form-data create is read like the JSON one."""
    form = aiohttp.FormData()
    form.add_field("prompt", "multipart prompt")
    form.add_field("size", "64x64")
    form.add_field("seconds", "2")
    answer = await api("POST", "/videos", data=form)
    assert answer.status == 200
    assert (answer.body["prompt"], answer.body["seconds"]) == ("multipart prompt", "2")


async def test_create_and_retrieve_carry_a_poll_hint(api: Api, clock: FakeClock) -> None:
    """create and retrieve send openai-poll-after-ms while pending; not once the job ended."""
    created = await api("POST", "/videos", json={"prompt": "p", "size": "64x64"})
    assert 100 <= int(created.headers["openai-poll-after-ms"]) <= 5000
    clock.advance(5)
    pending = await api("GET", f"/videos/{created.body['id']}")
    assert int(pending.headers["openai-poll-after-ms"]) < int(
        created.headers["openai-poll-after-ms"]
    )
    clock.advance(10)
    done = await api("GET", f"/videos/{created.body['id']}")
    assert done.body["status"] == "completed" and "openai-poll-after-ms" not in done.headers


async def test_retrieve_follows_the_lifecycle(api: Api, clock: FakeClock) -> None:
    """GET /videos/{id} shows queued, then in_progress with climbing progress, then completed."""
    video = await api.create()
    states = []
    for _ in range(12):
        got = await api.get(video["id"])
        states.append((got["status"], got["progress"]))
        clock.advance(1)
    assert states[0] == ("queued", 0)
    assert [s for s, _ in states].count("in_progress") == 9
    climbing = [p for s, p in states if s == "in_progress"]
    assert climbing == sorted(climbing) and climbing[-1] > climbing[0]
    assert states[-1] == ("completed", 100)
    final = await api.get(video["id"])
    assert final["completed_at"] is not None and final["expires_at"] > final["completed_at"]


async def test_failed_job_reports_its_error(api: Api, clock: FakeClock) -> None:
    """A job whose prompt has [emulator:fail] ends failed with an error object."""
    video = await api.create(prompt="a storm [emulator:fail]")
    clock.advance(20)
    got = await api.get(video["id"])
    assert got["status"] == "failed"
    assert got["error"]["code"] == "moderation_blocked" and got["error"]["message"]


async def test_retrieve_unknown_is_404(api: Api) -> None:
    """GET of an unknown id answers 404 video_not_found in OpenAI's error shape."""
    answer = await api("GET", "/videos/video_missing")
    assert answer.status == 404
    assert answer.error["code"] == "video_not_found" and "video_missing" in answer.error["message"]


async def test_list_returns_a_list_object_newest_first(api: Api) -> None:
    """GET /videos answers a list object, newest first by default, with first/last ids."""
    ids = [(await api.create(prompt=f"clip {i}"))["id"] for i in range(3)]
    answer = await api("GET", "/videos")
    assert answer.status == 200 and answer.body["object"] == "list"
    assert [v["id"] for v in answer.body["data"]] == ids[::-1]
    assert (answer.body["first_id"], answer.body["last_id"]) == (ids[-1], ids[0])
    assert answer.body["has_more"] is False


async def test_list_pages_with_limit_order_and_after(api: Api) -> None:
    """limit, order=asc and after page through jobs; has_more says when another page follows."""
    ids = [(await api.create())["id"] for _ in range(5)]
    first = await api("GET", "/videos", params={"limit": "2", "order": "asc"})
    assert [v["id"] for v in first.body["data"]] == ids[:2] and first.body["has_more"] is True
    rest = await api(
        "GET", "/videos", params={"limit": "10", "order": "asc", "after": first.body["last_id"]}
    )
    assert [v["id"] for v in rest.body["data"]] == ids[2:] and rest.body["has_more"] is False


async def test_empty_list_has_null_ids(api: Api) -> None:
    """An empty page has null first_id/last_id and has_more false."""
    answer = await api("GET", "/videos", params={"limit": "0"})
    assert answer.body == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("params", "param"),
    [
        pytest.param({"limit": "101"}, "limit", id="limit-too-big"),
        pytest.param({"limit": "-1"}, "limit", id="limit-negative"),
        pytest.param({"limit": "ten"}, "limit", id="limit-word"),
        pytest.param({"order": "sideways"}, "order", id="order"),
        pytest.param({"after": "video_never"}, "after", id="after-unknown"),
    ],
)
async def test_list_rejects_bad_query(api: Api, params: dict[str, str], param: str) -> None:
    """A bad limit, order or after answers 400 naming the parameter."""
    answer = await api("GET", "/videos", params=params)
    assert answer.status == 400 and answer.error["param"] == param


async def test_delete_completed_job(api: Api, clock: FakeClock) -> None:
    """DELETE of a completed job answers the deleted object; the job is then gone (404)."""
    video = await api.create()
    clock.advance(20)
    answer = await api("DELETE", f"/videos/{video['id']}")
    assert answer.status == 200
    assert answer.body == {"id": video["id"], "object": "video.deleted", "deleted": True}
    assert (await api("GET", f"/videos/{video['id']}")).status == 404
    assert (await api("DELETE", f"/videos/{video['id']}")).status == 404


async def test_delete_pending_job_is_409(api: Api) -> None:
    """DELETE of a queued or in-progress job answers 409 video_not_finished."""
    video = await api.create()
    answer = await api("DELETE", f"/videos/{video['id']}")
    assert answer.status == 409 and answer.error["code"] == "video_not_finished"


async def test_remix_records_its_source(api: Api, clock: FakeClock) -> None:
    """POST /videos/{id}/remix of a completed job makes a job with remixed_from_video_id."""
    source = await api.create(size="128x72", seconds="2")
    clock.advance(20)
    answer = await api("POST", f"/videos/{source['id']}/remix", json={"prompt": "now at night"})
    assert answer.status == 200
    remix = answer.body
    assert remix["remixed_from_video_id"] == source["id"] and remix["id"] != source["id"]
    assert (remix["prompt"], remix["size"], remix["seconds"]) == ("now at night", "128x72", "2")


async def test_remix_of_unfinished_job_is_409(api: Api) -> None:
    """Remixing a job that has not completed answers 409 video_not_completed."""
    source = await api.create()
    answer = await api("POST", f"/videos/{source['id']}/remix", json={"prompt": "x"})
    assert answer.status == 409 and answer.error["code"] == "video_not_completed"


async def test_remix_of_unknown_job_is_404(api: Api) -> None:
    """Remixing an unknown id answers 404."""
    answer = await api("POST", "/videos/video_nope/remix", json={"prompt": "x"})
    assert answer.status == 404


async def test_extension_stitches_total_seconds(api: Api, clock: FakeClock) -> None:
    """POST /videos/extensions of a completed job makes a job whose seconds is the total."""
    source = await api.create(seconds="2")
    clock.advance(20)
    answer = await api(
        "POST",
        "/videos/extensions",
        json={"video": {"id": source["id"]}, "prompt": "and then it rains", "seconds": "4"},
    )
    assert answer.status == 200 and answer.body["seconds"] == "6"
    assert answer.body["size"] == source["size"]


async def test_extension_requires_seconds(api: Api, clock: FakeClock) -> None:
    """An extension without seconds answers 400 naming 'seconds'."""
    source = await api.create()
    clock.advance(20)
    answer = await api(
        "POST", "/videos/extensions", json={"video": {"id": source["id"]}, "prompt": "more"}
    )
    assert answer.status == 400 and answer.error["param"] == "seconds"


async def test_edit_by_id_reference(api: Api, clock: FakeClock) -> None:
    """POST /videos/edits with {"id": ...} edits a completed job (same size and length)."""
    source = await api.create(size="128x72", seconds="2")
    clock.advance(20)
    answer = await api(
        "POST", "/videos/edits", json={"video": {"id": source["id"]}, "prompt": "make it blue"}
    )
    assert answer.status == 200
    assert (answer.body["size"], answer.body["seconds"], answer.body["prompt"]) == (
        "128x72",
        "2",
        "make it blue",
    )


async def test_edit_by_sdk_style_multipart_reference(api: Api, clock: FakeClock) -> None:
    """A multipart edit naming the source as video[id] (as the SDKs flatten it) is accepted."""
    source = await api.create()
    clock.advance(20)
    form = aiohttp.FormData()
    form.add_field("video[id]", source["id"])
    form.add_field("prompt", "sepia")
    answer = await api("POST", "/videos/edits", data=form)
    assert answer.status == 200 and answer.body["size"] == source["size"]


async def test_edit_of_uploaded_video_takes_its_size_and_length(api: Api) -> None:
    """An edit of an uploaded MP4 makes a job of the upload's size and whole seconds."""
    form = aiohttp.FormData()
    form.add_field("video", mp4_bytes(96, 64, 2), filename="in.mp4", content_type="video/mp4")
    form.add_field("prompt", "add snow")
    answer = await api("POST", "/videos/edits", data=form)
    assert answer.status == 200
    assert (answer.body["size"], answer.body["seconds"]) == ("96x64", "2")


async def test_edit_of_a_non_video_upload_is_400(api: Api) -> None:
    """An uploaded 'video' that does not decode answers 400 naming 'video'."""
    form = aiohttp.FormData()
    form.add_field("video", b"not a video", filename="x.mp4", content_type="video/mp4")
    form.add_field("prompt", "p")
    answer = await api("POST", "/videos/edits", data=form)
    assert answer.status == 400 and answer.error["param"] == "video"


async def test_edit_of_pending_source_is_409(api: Api) -> None:
    """Editing a job that has not completed answers 409 naming 'video'."""
    source = await api.create()
    answer = await api("POST", "/videos/edits", json={"video": {"id": source["id"]}, "prompt": "x"})
    assert answer.status == 409 and answer.error["param"] == "video"


async def test_character_create_and_retrieve(api: Api) -> None:
    """POST /videos/characters makes a character that GET /videos/characters/{id} returns."""
    form = aiohttp.FormData()
    form.add_field("video", mp4_bytes(64, 64, 1), filename="me.mp4", content_type="video/mp4")
    form.add_field("name", "Ava")
    created = await api("POST", "/videos/characters", data=form)
    assert created.status == 200 and created.body["name"] == "Ava"
    assert created.body["id"].startswith("char_")
    got = await api("GET", f"/videos/characters/{created.body['id']}")
    assert got.status == 200 and got.body == created.body


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        pytest.param({"name": "Ava"}, "video", id="no-video"),
        pytest.param({"video": b"junk", "name": "Ava"}, "video", id="not-a-video"),
        pytest.param({"video": None}, "name", id="no-name"),
        pytest.param({"video": None, "name": "x" * 81}, "name", id="long-name"),
    ],
)
async def test_character_create_rejects_bad_input(
    api: Api, fields: dict[str, Any], param: str
) -> None:
    """A character without a decodable video or a 1-80 character name answers 400."""
    form = aiohttp.FormData()
    for key, value in fields.items():
        if key == "video":
            data = value if value is not None else mp4_bytes(64, 64, 1)
            form.add_field("video", data, filename="v.mp4", content_type="video/mp4")
        else:
            form.add_field(key, value)
    answer = await api("POST", "/videos/characters", data=form)
    assert answer.status == 400 and answer.error["param"] == param


async def test_unknown_character_is_404(api: Api) -> None:
    """GET of an unknown character answers 404 character_not_found."""
    answer = await api("GET", "/videos/characters/char_nope")
    assert answer.status == 404 and answer.error["code"] == "character_not_found"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        pytest.param({}, "prompt", "missing_required_parameter", id="no-prompt"),
        pytest.param({"prompt": ""}, "prompt", "invalid_value", id="empty-prompt"),
        pytest.param({"prompt": "x" * 32001}, "prompt", "invalid_value", id="long-prompt"),
        pytest.param({"prompt": 5}, "prompt", None, id="prompt-number"),
        pytest.param({"prompt": "p", "size": "big"}, "size", "invalid_value", id="size-word"),
        pytest.param({"prompt": "p", "size": "0x10"}, "size", "invalid_value", id="size-zero"),
        pytest.param({"prompt": "p", "size": "5000x10"}, "size", "invalid_value", id="size-huge"),
        pytest.param({"prompt": "p", "seconds": "0"}, "seconds", "invalid_value", id="sec-0"),
        pytest.param({"prompt": "p", "seconds": "4.5"}, "seconds", "invalid_value", id="sec-frac"),
        pytest.param({"prompt": "p", "seconds": True}, "seconds", "invalid_value", id="sec-bool"),
        pytest.param(
            {"prompt": "p", "input_reference": {"file_id": "file-1"}},
            "input_reference.file_id",
            "unsupported_value",
            id="file-id",
        ),
        pytest.param(
            {"prompt": "p", "input_reference": {"image_url": "https://example.com/a.png"}},
            "input_reference.image_url",
            "invalid_image_url",
            id="remote-url",
        ),
        pytest.param(
            {"prompt": "p", "input_reference": {}}, "input_reference", None, id="empty-ref"
        ),
    ],
)
async def test_create_rejects_bad_parameters(
    api: Api, emu: Emulator, body: dict[str, Any], param: str, code: str | None
) -> None:
    """Invalid create parameters answer 400 naming the parameter, and create no job."""
    answer = await api("POST", "/videos", json=body)
    assert answer.status == 400
    assert (answer.error["param"], answer.error["code"]) == (param, code)
    assert answer.error["type"] == "invalid_request_error"
    assert emu.jobs_created == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(b"{not json", "application/json", id="bad-json"),
        pytest.param(b"[1, 2]", "application/json", id="json-array"),
        pytest.param(b"<xml/>", "application/xml", id="xml"),
    ],
)
async def test_create_rejects_unreadable_bodies(api: Api, data: bytes, content_type: str) -> None:
    """A body that is not a JSON object or a form answers 400."""
    answer = await api("POST", "/videos", data=data, headers={"Content-Type": content_type})
    assert answer.status == 400 and answer.error["message"]


async def test_oversized_body_is_413(start_emulator: Any, make_api: Any) -> None:
    """A body past max_upload_bytes answers 413 in the error shape."""
    emulator = await start_emulator(max_upload_bytes=1000)
    api = make_api(emulator)
    form = aiohttp.FormData()
    form.add_field("prompt", "p")
    form.add_field("input_reference", b"x" * 5000, filename="a.png", content_type="image/png")
    answer = await api("POST", "/videos", data=form)
    assert answer.status == 413
    json_answer = await api("POST", "/videos", json={"prompt": "p" * 2000})
    assert json_answer.status == 413


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/nothing", id="unknown-path"),
        pytest.param("PUT", "/videos", id="wrong-method"),
        pytest.param("PATCH", "/videos/video_1", id="wrong-method-item"),
    ],
)
async def test_unknown_route_is_404_invalid_url(api: Api, method: str, path: str) -> None:
    """An unknown path or method answers 404 "Invalid URL (METHOD path)" like the real API."""
    answer = await api(method, path)
    assert answer.status == 404
    assert answer.error["message"] == f"Invalid URL ({method} /v1{path})"


async def test_every_answer_has_a_request_id(api: Api) -> None:
    """Answers, errors included, carry an x-request-id."""
    ok = await api("GET", "/videos")
    bad = await api("GET", "/videos/video_x")
    assert ok.headers["x-request-id"].startswith("req_")
    assert bad.headers["x-request-id"].startswith("req_")
    assert ok.headers["x-request-id"] != bad.headers["x-request-id"]


async def test_answers_validate_strictly_for_spec_sizes(
    api: Api, clock: FakeClock, schemas: SpecSchemas
) -> None:
    """With sizes and seconds from the spec's enums, every answer validates without relaxing."""
    source = await api.create(size="1280x720", seconds="4")
    schemas.validate("VideoResource", source, strict=True)
    clock.advance(20)
    answers = [
        await api("GET", f"/videos/{source['id']}"),
        await api("POST", f"/videos/{source['id']}/remix", json={"prompt": "r"}),
        await api(
            "POST",
            "/videos/extensions",
            json={"video": {"id": source["id"]}, "prompt": "e", "seconds": "8"},
        ),
        await api("POST", "/videos/edits", json={"video": {"id": source["id"]}, "prompt": "d"}),
    ]
    for answer in answers:
        assert answer.status == 200
        schemas.validate("VideoResource", answer.body, strict=True)
    listing = await api("GET", "/videos")
    schemas.validate("VideoListResource", listing.body, strict=True)
    deleted = await api("DELETE", f"/videos/{source['id']}")
    schemas.validate("DeletedVideoResource", deleted.body, strict=True)


async def test_json_answers_are_plain_json(api: Api) -> None:
    """JSON answers are application/json and parse as JSON objects."""
    answer = await api("GET", "/videos")
    assert answer.headers["Content-Type"].startswith("application/json")
    assert isinstance(json.loads(json.dumps(answer.body)), dict)
