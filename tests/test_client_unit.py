"""Transport-level unit tests of AsyncVideoClient with the network mocked by aioresponses."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fakeclock import TestClock
from yarl import URL

import videoclient
from videoclient import AsyncVideoClient

BASE = "https://api.example.test/v1"
KEY = "sk-test-SECRET-0123456789"


def video_json(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "video_1",
        "object": "video",
        "model": "sora-2",
        "status": "queued",
        "progress": 0,
        "created_at": 1700000000,
        "completed_at": None,
        "expires_at": None,
        "prompt": "a cat",
        "size": "720x1280",
        "seconds": "4",
        "remixed_from_video_id": None,
        "error": None,
    }
    body.update(over)
    return body


@pytest.fixture
async def client() -> Any:
    async with AsyncVideoClient(KEY, base_url=BASE) as c:
        yield c


def sent(mock_api: Any, method: str, url: str) -> list[Any]:
    """The calls aioresponses recorded for one method and URL."""
    for (m, u), calls in mock_api.requests.items():
        if m == method and u == URL(url):
            return list(calls)
    return []


async def test_create_sends_json_and_parses_video(mock_api: Any, client: AsyncVideoClient) -> None:
    """create() posts the prompt as JSON and returns a Video with the request id."""
    mock_api.post(f"{BASE}/videos", payload=video_json(), headers={"x-request-id": "req_1"})
    video = await client.videos.create(prompt="a cat", seconds=4, size=(720, 1280))
    assert video.id == "video_1" and video.status == "queued"
    assert video.request_id == "req_1"
    (call,) = sent(mock_api, "POST", f"{BASE}/videos")
    import json

    assert json.loads(call.kwargs["data"]) == {
        "prompt": "a cat",
        "seconds": "4",
        "size": "720x1280",
    }
    headers = call.kwargs["headers"]
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Idempotency-Key"].startswith("videoclient-")


@pytest.mark.parametrize(
    ("method", "path", "call", "payload", "expected_type"),
    [
        pytest.param(
            "GET",
            "/videos/video_1",
            lambda v: v.retrieve("video_1"),
            video_json(),
            videoclient.Video,
            id="retrieve",
        ),
        pytest.param(
            "DELETE",
            "/videos/video_1",
            lambda v: v.delete("video_1"),
            {"id": "video_1", "object": "video.deleted", "deleted": True},
            videoclient.DeletedVideo,
            id="delete",
        ),
        pytest.param(
            "POST",
            "/videos/video_1/remix",
            lambda v: v.remix("video_1", prompt="again"),
            video_json(remixed_from_video_id="video_0"),
            videoclient.Video,
            id="remix",
        ),
        pytest.param(
            "POST",
            "/videos/edits",
            lambda v: v.edit(video={"id": "video_0"}, prompt="bluer"),
            video_json(),
            videoclient.Video,
            id="edit",
        ),
        pytest.param(
            "POST",
            "/videos/extensions",
            lambda v: v.extend(video={"id": "video_0"}, prompt="more", seconds=4),
            video_json(seconds="8"),
            videoclient.Video,
            id="extend",
        ),
        pytest.param(
            "GET",
            "/videos/characters/char_1",
            lambda v: v.get_character("char_1"),
            {"id": "char_1", "name": "Bob", "created_at": 1},
            videoclient.VideoCharacter,
            id="get_character",
        ),
        pytest.param(
            "GET",
            "/videos?limit=2&order=asc",
            lambda v: v.list_page(limit=2, order="asc"),
            {
                "object": "list",
                "data": [video_json()],
                "first_id": "video_1",
                "last_id": "video_1",
                "has_more": False,
            },
            videoclient.VideoPage,
            id="list_page",
        ),
    ],
)
async def test_operations_map_to_routes(
    mock_api: Any,
    client: AsyncVideoClient,
    method: str,
    path: str,
    call: Any,
    payload: Any,
    expected_type: type,
) -> None:
    """Each operation sends its method and path and returns its model type."""
    mock_api.add(f"{BASE}{path}", method, payload=payload)
    result = await call(client.videos)
    assert isinstance(result, expected_type)
    assert sent(mock_api, method, f"{BASE}{path}")


async def test_list_walks_every_page(mock_api: Any, client: AsyncVideoClient) -> None:
    """async for over list() follows the after cursor until has_more is false."""
    page1 = {
        "object": "list",
        "data": [video_json(id="v1"), video_json(id="v2")],
        "first_id": "v1",
        "last_id": "v2",
        "has_more": True,
    }
    page2 = {
        "object": "list",
        "data": [video_json(id="v3")],
        "first_id": "v3",
        "last_id": "v3",
        "has_more": False,
    }
    mock_api.get(f"{BASE}/videos?limit=2&order=desc", payload=page1)
    mock_api.get(f"{BASE}/videos?limit=2&order=desc&after=v2", payload=page2)
    ids = [v.id async for v in client.videos.list(limit=2, order="desc")]
    assert ids == ["v1", "v2", "v3"]


async def test_download_content_returns_bytes_with_wildcard_accept(
    mock_api: Any, client: AsyncVideoClient
) -> None:
    """download_content() returns the body and sends an Accept the spec allows."""
    mock_api.get(
        f"{BASE}/videos/video_1/content?variant=thumbnail",
        body=b"RIFF....WEBP",
        content_type="image/webp",
    )
    data = await client.videos.download_content("video_1", variant="thumbnail")
    assert data == b"RIFF....WEBP"
    (call,) = sent(mock_api, "GET", f"{BASE}/videos/video_1/content?variant=thumbnail")
    assert call.kwargs["headers"]["Accept"] == "*/*"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        pytest.param(400, videoclient.BadRequestError, id="400"),
        pytest.param(401, videoclient.AuthenticationError, id="401"),
        pytest.param(403, videoclient.PermissionDeniedError, id="403"),
        pytest.param(404, videoclient.NotFoundError, id="404"),
        pytest.param(409, videoclient.ConflictError, id="409"),
        pytest.param(422, videoclient.UnprocessableEntityError, id="422"),
        pytest.param(429, videoclient.RateLimitError, id="429"),
        pytest.param(500, videoclient.InternalServerError, id="500"),
        pytest.param(503, videoclient.InternalServerError, id="503"),
        pytest.param(418, videoclient.APIStatusError, id="418"),
    ],
)
async def test_status_errors_map_to_classes(
    mock_api: Any, client: AsyncVideoClient, status: int, cls: type, sleeps: list[float]
) -> None:
    """Each 4xx/5xx becomes its APIStatusError subclass carrying the error body's fields."""
    body = {
        "error": {
            "message": "nope",
            "type": "invalid_request_error",
            "param": "size",
            "code": "bad_size",
        }
    }
    mock_api.get(
        f"{BASE}/videos/video_1",
        status=status,
        payload=body,
        headers={"x-request-id": "req_e"},
        repeat=True,
    )
    with pytest.raises(cls) as info:
        await client.videos.retrieve("video_1")
    err = info.value
    assert type(err) is cls
    assert (err.status_code, err.code, err.param, err.type, err.message) == (
        status,
        "bad_size",
        "size",
        "invalid_request_error",
        "nope",
    )
    assert err.request_id == "req_e"
    assert KEY not in str(err) and KEY not in repr(err)


async def test_html_error_page_gives_readable_message(
    mock_api: Any, client: AsyncVideoClient
) -> None:
    """A proxy's HTML 502 page still yields a short readable message."""
    html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    mock_api.get(
        f"{BASE}/videos/video_1", status=502, body=html, content_type="text/html", repeat=True
    )
    with pytest.raises(videoclient.InternalServerError) as info:
        await client.videos.retrieve("video_1")
    assert info.value.message == "502 Bad Gateway"


async def test_retries_then_succeeds_with_same_idempotency_key(
    mock_api: Any, client: AsyncVideoClient, sleeps: list[float]
) -> None:
    """A 500 then a 200: one retry, the same Idempotency-Key on both attempts."""
    mock_api.post(f"{BASE}/videos", status=500, payload={"error": {"message": "boom"}})
    mock_api.post(f"{BASE}/videos", payload=video_json())
    video = await client.videos.create(prompt="a cat")
    assert video.id == "video_1"
    calls = sent(mock_api, "POST", f"{BASE}/videos")
    keys = {c.kwargs["headers"]["Idempotency-Key"] for c in calls}
    assert len(calls) == 2 and len(keys) == 1
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5


async def test_retry_after_ms_is_obeyed(
    mock_api: Any, client: AsyncVideoClient, sleeps: list[float]
) -> None:
    """A 429 with retry-after-ms waits at least what the server asked, plus a bounded jitter."""
    mock_api.get(
        f"{BASE}/videos/video_1",
        status=429,
        payload={"error": {"message": "slow down"}},
        headers={"retry-after-ms": "1500"},
    )
    mock_api.get(f"{BASE}/videos/video_1", payload=video_json())
    await client.videos.retrieve("video_1")
    assert len(sleeps) == 1 and 1.5 <= sleeps[0] <= 1.5 * 1.25 + 0.1


async def test_retries_stop_at_budget(mock_api: Any, sleeps: list[float]) -> None:
    """max_retries=1 per call: two attempts, then the error."""
    mock_api.get(
        f"{BASE}/videos/video_1", status=503, payload={"error": {"message": "down"}}, repeat=True
    )
    async with AsyncVideoClient(KEY, base_url=BASE, max_retries=5) as c:
        with pytest.raises(videoclient.InternalServerError):
            await c.videos.retrieve("video_1", max_retries=1)
    assert len(sent(mock_api, "GET", f"{BASE}/videos/video_1")) == 2


async def test_x_should_retry_false_is_obeyed(
    mock_api: Any, client: AsyncVideoClient, sleeps: list[float]
) -> None:
    """x-should-retry: false on a 503 means no retry."""
    mock_api.get(
        f"{BASE}/videos/video_1",
        status=503,
        payload={"error": {"message": "x"}},
        headers={"x-should-retry": "false"},
        repeat=True,
    )
    with pytest.raises(videoclient.InternalServerError):
        await client.videos.retrieve("video_1")
    assert len(sent(mock_api, "GET", f"{BASE}/videos/video_1")) == 1 and sleeps == []


async def test_400_is_not_retried(
    mock_api: Any, client: AsyncVideoClient, sleeps: list[float]
) -> None:
    """A 400 is final: one attempt."""
    mock_api.post(f"{BASE}/videos", status=400, payload={"error": {"message": "bad"}}, repeat=True)
    with pytest.raises(videoclient.BadRequestError):
        await client.videos.create(prompt="x")
    assert len(sent(mock_api, "POST", f"{BASE}/videos")) == 1


async def test_connection_error_is_retried_then_raised(
    mock_api: Any, client: AsyncVideoClient, sleeps: list[float]
) -> None:
    """aiohttp connection errors become APIConnectionError after the retry budget."""
    import aiohttp

    mock_api.get(
        f"{BASE}/videos/video_1", exception=aiohttp.ClientConnectionError("refused"), repeat=True
    )
    with pytest.raises(videoclient.APIConnectionError) as info:
        await client.videos.retrieve("video_1")
    assert not isinstance(info.value, aiohttp.ClientError)
    assert len(sleeps) == 2


async def test_timeout_becomes_api_timeout_error(mock_api: Any, client: AsyncVideoClient) -> None:
    """asyncio timeouts surface as APITimeoutError (also an APIConnectionError)."""
    import asyncio

    mock_api.get(f"{BASE}/videos/video_1", exception=asyncio.TimeoutError(), repeat=True)
    with pytest.raises(videoclient.APITimeoutError):
        await client.videos.retrieve("video_1")


async def test_unknown_fields_and_status_are_kept(mock_api: Any, client: AsyncVideoClient) -> None:
    """A new status, model and extra fields parse; the extras are reachable."""
    mock_api.get(
        f"{BASE}/videos/video_1",
        payload=video_json(status="expired", model="wan-3", size="999x111", watermark=True),
    )
    video = await client.videos.retrieve("video_1")
    assert (video.status, video.model, video.size) == ("expired", "wan-3", "999x111")
    assert video.extra == {"watermark": True}
    assert not video.is_pending


@pytest.mark.parametrize(
    ("body", "why"),
    [
        pytest.param(b"not json{", "not valid JSON", id="invalid-json"),
        pytest.param(b'{"object": "video", "status": "queued"}', "id", id="missing-id"),
        pytest.param(
            b'{"id": "v", "status": "queued", "created_at": "yesterday"}',
            "created_at",
            id="bad-type",
        ),
        pytest.param(b"[1, 2]", "Video", id="not-an-object"),
    ],
)
async def test_malformed_success_bodies_raise_validation_error(
    mock_api: Any, client: AsyncVideoClient, body: bytes, why: str
) -> None:
    """A 200 whose body is not a Video raises APIResponseValidationError naming the problem."""
    mock_api.get(f"{BASE}/videos/video_1", body=body)
    with pytest.raises(videoclient.APIResponseValidationError, match=why):
        await client.videos.retrieve("video_1")


async def test_missing_key_fails_at_first_request_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, mock_api: Any
) -> None:
    """No key: construction works, the first request raises MissingAPIKeyError naming OPENAI_API_KEY."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with AsyncVideoClient(base_url=BASE) as c:
        with pytest.raises(videoclient.MissingAPIKeyError, match="OPENAI_API_KEY"):
            await c.videos.retrieve("video_1")
    assert not mock_api.requests


async def test_env_vars_configure_the_client(
    monkeypatch: pytest.MonkeyPatch, mock_api: Any
) -> None:
    """OPENAI_API_KEY/BASE_URL/ORG_ID/PROJECT_ID are read and sent."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://gw.example.test/v1/")
    monkeypatch.setenv("OPENAI_ORG_ID", "org_1")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_1")
    mock_api.get("https://gw.example.test/v1/videos/video_1", payload=video_json())
    async with AsyncVideoClient() as c:
        await c.videos.retrieve("video_1")
    (call,) = sent(mock_api, "GET", "https://gw.example.test/v1/videos/video_1")
    h = call.kwargs["headers"]
    assert (h["Authorization"], h["OpenAI-Organization"], h["OpenAI-Project"]) == (
        "Bearer sk-env",
        "org_1",
        "proj_1",
    )


async def test_azure_sends_api_key_and_version(mock_api: Any) -> None:
    """The Azure constructor uses /openai/v1, the api-key header and api-version."""
    url = "https://res.openai.azure.test/openai/v1/videos/video_1?api-version=preview"
    mock_api.get(url, payload=video_json())
    async with AsyncVideoClient.azure(
        endpoint="https://res.openai.azure.test", api_key=KEY, api_version="preview"
    ) as c:
        await c.videos.retrieve("video_1")
    (call,) = sent(mock_api, "GET", url)
    assert call.kwargs["headers"]["api-key"] == KEY
    assert "Authorization" not in call.kwargs["headers"]


async def test_azure_token_provider_is_called_per_request(mock_api: Any) -> None:
    """An async token provider is awaited before every request."""
    tokens = iter(["t1", "t2"])

    async def provider() -> str:
        return next(tokens)

    url = "https://res.openai.azure.test/openai/v1/videos/video_1"
    mock_api.get(url, payload=video_json(), repeat=True)
    async with AsyncVideoClient.azure(
        endpoint="https://res.openai.azure.test", token_provider=provider
    ) as c:
        await c.videos.retrieve("video_1")
        await c.videos.retrieve("video_1")
    auths = [c.kwargs["headers"]["Authorization"] for c in sent(mock_api, "GET", url)]
    assert auths == ["Bearer t1", "Bearer t2"]


async def test_per_call_options_are_sent(mock_api: Any, client: AsyncVideoClient) -> None:
    """extra_headers, extra_query, extra_body and idempotency_key reach the request."""
    import json

    mock_api.post(f"{BASE}/videos?trace=1", payload=video_json())
    await client.videos.create(
        prompt="p",
        extra_headers={"X-Trace": "t"},
        extra_query={"trace": "1"},
        extra_body={"seed": 7},
        idempotency_key="job-42",
    )
    (call,) = sent(mock_api, "POST", f"{BASE}/videos?trace=1")
    assert call.kwargs["headers"]["X-Trace"] == "t"
    assert call.kwargs["headers"]["Idempotency-Key"] == "job-42"
    assert json.loads(call.kwargs["data"])["seed"] == 7


async def test_unknown_option_is_a_type_error(client: AsyncVideoClient) -> None:
    """A misspelt per-call option raises TypeError before sending."""
    with pytest.raises(TypeError, match="timout"):
        await client.videos.retrieve("video_1", timout=3)  # type: ignore[call-arg]


async def test_raw_response_exposes_headers(mock_api: Any, client: AsyncVideoClient) -> None:
    """with_raw_response gives status, headers (rate limits) and the parsed value."""
    mock_api.get(
        f"{BASE}/videos/video_1",
        payload=video_json(),
        headers={"x-ratelimit-remaining-requests": "41", "x-request-id": "req_9"},
    )
    raw = await client.videos.with_raw_response.retrieve("video_1")
    assert raw.status_code == 200
    assert raw.headers["x-ratelimit-remaining-requests"] == "41"
    assert raw.request_id == "req_9"
    assert raw.parse().id == "video_1"


async def test_debug_logs_never_show_the_key(
    mock_api: Any, client: AsyncVideoClient, caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    """DEBUG logging names method, path, status and attempt, never the key."""
    mock_api.get(f"{BASE}/videos/video_1", status=500, payload={"error": {"message": "x"}})
    mock_api.get(f"{BASE}/videos/video_1", payload=video_json(), headers={"x-request-id": "req_l"})
    with caplog.at_level(logging.DEBUG, logger="videoclient"):
        await client.videos.retrieve("video_1")
    text = caplog.text
    assert "GET videos/video_1 -> 200 (attempt 2, request_id=req_l)" in text
    assert KEY not in text


def test_reprs_hide_the_key() -> None:
    """Neither the client nor its config shows the key in repr."""
    c = AsyncVideoClient(KEY, base_url=BASE)
    assert KEY not in repr(c) and KEY not in repr(c.config) and KEY not in str(c.config.api_key)
    assert re.search(r"base_url='https://api.example.test/v1'", repr(c))


async def test_a_429_pauses_the_whole_client(
    mock_api: Any, client: AsyncVideoClient, sleeps: list[float], retry_clock: TestClock
) -> None:
    """After a 429 asks for 2 s, another call of the same client waits before it goes out."""
    mock_api.get(
        f"{BASE}/videos/video_1",
        status=429,
        payload={"error": {"message": "slow"}},
        headers={"retry-after-ms": "2000"},
    )
    mock_api.get(f"{BASE}/videos/video_1", payload=video_json())
    mock_api.get(f"{BASE}/videos/video_2", payload=video_json(id="video_2"))
    await client.videos.retrieve("video_1")
    assert len(sleeps) == 1 and sleeps[0] >= 2.0
    # A concurrent call arriving while the pause is still in force (rewind the virtual clock).
    transport = client._transport
    assert transport is not None
    retry_clock.offset -= retry_clock.now() - (transport._rate_limited_until - 1.0)
    await client.videos.retrieve("video_2")
    assert len(sleeps) == 2 and sleeps[1] == pytest.approx(1.0, abs=0.01)
