"""The per-request fast paths keep their behaviour: headers, URLs, body caps, model reading."""

from __future__ import annotations

import codecs
import json
import re
import uuid
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from builders import proto
from yarl import URL

from videoclient import APIResponseValidationError, AsyncVideoClient, ClientConfig, Video
from videoclient._sansio.config import Secret

BASE = "https://api.example.test/v1"
KEY = "sk-test-SECRET-0123456789"
VIDEO = {"id": "video_1", "status": "queued"}


def sent(mock_api: Any, method: str, url: str) -> list[Any]:
    """The calls aioresponses recorded for one method and URL."""
    for (m, u), calls in mock_api.requests.items():
        if m == method and u == URL(url):
            return list(calls)
    return []


async def test_default_headers_override_fixed_ones_and_extra_headers_override_defaults(
    mock_api: Any,
) -> None:
    """default_headers replace Accept/Authorization; a call's extra_headers replace both."""
    url = f"{BASE}/videos/video_1"
    mock_api.get(url, payload=VIDEO, repeat=True)
    async with AsyncVideoClient(
        KEY,
        base_url=BASE,
        organization="org-1",
        project="proj-1",
        default_headers={"accept": "application/x-custom", "authorization": "Bearer other"},
    ) as client:
        await client.videos.retrieve("video_1")
        await client.videos.retrieve("video_1", extra_headers={"Accept": "text/plain"})
    first, second = (call.kwargs["headers"] for call in sent(mock_api, "GET", url))
    assert first["Accept"] == "application/x-custom"
    assert first.getall("Authorization") == ["Bearer other"]
    assert first["OpenAI-Organization"] == "org-1" and first["OpenAI-Project"] == "proj-1"
    assert first["User-Agent"].startswith("videoclient/")
    assert second["Accept"] == "text/plain"
    assert "Idempotency-Key" not in first


async def test_each_post_gets_its_own_idempotency_key(mock_api: Any) -> None:
    """Each POST gets a fresh version 4 UUID key: precomputed headers never carry one over."""
    mock_api.post(f"{BASE}/videos", payload=VIDEO, repeat=True)
    async with AsyncVideoClient(KEY, base_url=BASE) as client:
        await client.videos.create(prompt="a")
        await client.videos.create(prompt="b")
    keys = [
        c.kwargs["headers"]["Idempotency-Key"] for c in sent(mock_api, "POST", f"{BASE}/videos")
    ]
    assert len(keys) == 2 and keys[0] != keys[1]
    for key in keys:  # a version 4, RFC 4122 UUID, as uuid.uuid4() gives
        assert re.fullmatch(
            r"videoclient-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key
        )
        parsed = uuid.UUID(key.removeprefix("videoclient-"))
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


async def test_default_query_and_extra_query_are_combined(mock_api: Any) -> None:
    """default_query, api_version, the request's params and extra_query all reach the URL."""
    config = ClientConfig(
        base_url=BASE, api_key=Secret(KEY), default_query={"a": "1"}, api_version="v9"
    )
    url = f"{BASE}/videos?a=1&api-version=v9&limit=5&b=2"
    mock_api.get(url, payload={"data": [], "has_more": False})
    async with AsyncVideoClient.from_config(config) as client:
        await client.videos.list_page(limit=5, extra_query={"b": "2"})
    # aioresponses records the query sorted by name.
    assert len(sent(mock_api, "GET", f"{BASE}/videos?a=1&api-version=v9&b=2&limit=5")) == 1


@pytest.mark.parametrize(
    ("size", "fails"),
    [pytest.param(64, False, id="at-the-cap"), pytest.param(65, True, id="over-the-cap")],
)
async def test_max_json_bytes_caps_a_body_that_arrived_whole(
    mock_api: Any, size: int, fails: bool
) -> None:
    """A JSON body longer than max_json_bytes is refused, one of that length is read."""
    body = json.dumps(VIDEO).encode()
    body += b" " * (size - len(body))
    config = ClientConfig(base_url=BASE, api_key=Secret(KEY), max_json_bytes=64)
    mock_api.get(f"{BASE}/videos/video_1", body=body, content_type="application/json")
    async with AsyncVideoClient.from_config(config) as client:
        if fails:
            with pytest.raises(APIResponseValidationError, match="exceeds 64 bytes"):
                await client.videos.retrieve("video_1")
        else:
            assert (await client.videos.retrieve("video_1")).id == "video_1"


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode(), id="utf-8"),
        pytest.param(lambda text: codecs.BOM_UTF8 + text.encode(), id="utf-8-bom"),
        pytest.param(lambda text: text.encode("utf-16-le"), id="utf-16"),
    ],
)
def test_json_bodies_are_read_in_any_encoding_json_loads_reads(encode: Any) -> None:
    """parse_model reads what json.loads reads from bytes (UTF-8, a BOM, UTF-16)."""
    body = encode(json.dumps({**VIDEO, "prompt": "caf\u00e9"}, ensure_ascii=False))
    video = proto.parse_model(proto.Response(200, {}, body), Video)
    assert video.prompt == "caf\u00e9"


@pytest.mark.parametrize("video_id", ["video_1", "v-1.2~x", "v:1", "v+1", "v\u00e9", "v@x=y"])
def test_ids_are_quoted_as_one_path_segment(video_id: str) -> None:
    """An id goes into the path percent-encoded exactly as quote(id, safe='') gives it."""
    assert proto.build_retrieve(video_id).path == f"videos/{quote(video_id, safe='')}"


def test_read_models_are_frozen_and_carry_extra_and_request_id() -> None:
    """A parsed model keeps unknown fields and the request id, and stays immutable."""
    body = json.dumps({**VIDEO, "progress": 5.0, "seconds": 4, "new_field": [1], "error": None})
    resp = proto.Response(200, {"x-request-id": "req_7"}, body.encode())
    video = proto.parse_model(resp, Video)
    assert video.request_id == "req_7" and video.extra == {"new_field": [1]}
    assert video.progress == 5 and video.seconds == "4" and video.error is None
    assert video == Video(id="video_1", status="queued", progress=5, seconds="4")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        video.status = "completed"  # type: ignore[misc]


def test_nested_models_keep_their_extra_fields() -> None:
    """A job's error object keeps fields this version does not know."""
    body = {**VIDEO, "status": "failed", "error": {"code": "x", "message": "m", "hint": "h"}}
    video = proto.parse_model(proto.Response(200, {}, json.dumps(body).encode()), Video)
    assert (
        video.error is not None and video.error.code == "x" and video.error.extra == {"hint": "h"}
    )
    assert video.request_id is None
