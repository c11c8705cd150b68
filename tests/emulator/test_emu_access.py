"""Who may call, how often, and what a repeated request does: auth, Azure base, rate limit,
idempotency keys, and the request log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from videoclient.emulator import Emulator

from .conftest import KEY, Api, FakeClock


async def test_no_key_is_401_like_the_real_service(api: Api) -> None:
    """A request without any key answers 401 invalid_request_error with a null code."""
    answer = await api("GET", "/videos", auth=False)
    assert answer.status == 401
    assert answer.error["type"] == "invalid_request_error" and answer.error["code"] is None
    assert "API key" in answer.error["message"]


async def test_any_key_is_accepted_without_api_key_setting(api: Api) -> None:
    """Without --api-key any non-empty key is accepted."""
    answer = await api("GET", "/videos", auth=False, headers={"Authorization": "Bearer anything"})
    assert answer.status == 200


async def test_api_key_setting_rejects_other_keys(start_emulator: Any, make_api: Any) -> None:
    """With api_key set, another key answers 401 invalid_api_key without echoing the key."""
    api = make_api(await start_emulator(api_key=KEY))
    assert (await api("GET", "/videos")).status == 200
    wrong_key = "sk-wrong-secret-value-1234"
    answer = await api(
        "GET", "/videos", auth=False, headers={"Authorization": f"Bearer {wrong_key}"}
    )
    assert answer.status == 401 and answer.error["code"] == "invalid_api_key"
    assert wrong_key not in answer.error["message"]


async def test_azure_base_api_key_header_and_api_version(
    start_emulator: Any, make_api: Any
) -> None:
    """/openai/v1 serves the same routes, with Azure's api-key header and an api-version param."""
    emulator = await start_emulator(api_key=KEY)
    api = make_api(emulator)
    created = await api(
        "POST",
        emulator.azure_base_url + "/videos",
        auth=False,
        headers={"api-key": KEY},
        params={"api-version": "preview"},
        json={"prompt": "azure", "size": "64x64"},
    )
    assert created.status == 200
    got = await api("GET", f"/videos/{created.body['id']}")  # the same job under /v1
    assert got.status == 200 and got.body["prompt"] == "azure"
    wrong = await api(
        "GET", emulator.azure_base_url + "/videos", auth=False, headers={"api-key": "nope"}
    )
    assert wrong.status == 401
    assert emulator.count("POST", route="/videos") == 1


async def test_rate_limit_answers_429_with_headers(start_emulator: Any, make_api: Any) -> None:
    """Past rate_limit requests per minute a key gets 429 with retry-after-ms; others do not."""
    api = make_api(await start_emulator(rate_limit=3))
    answers = [await api("GET", "/videos") for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit-requests"] == "3"
    assert answers[0].headers["x-ratelimit-remaining-requests"] == "2"
    limited = answers[3]
    assert limited.error["type"] == "requests" and limited.error["code"] == "rate_limit_exceeded"
    assert int(limited.headers["retry-after-ms"]) > 0 and int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    other = await api("GET", "/videos", auth=False, headers={"Authorization": "Bearer other"})
    assert other.status == 200


async def test_rate_limiter_refills_over_time() -> None:
    """The bucket refills at rate_limit per minute: one token per 60/N seconds."""
    from videoclient.emulator._faults import RateLimiter

    now = [0.0]
    limiter = RateLimiter(6, lambda: now[0])
    assert all(limiter.take("k")[0] for _ in range(6))
    allowed, headers = limiter.take("k")
    assert not allowed and headers["retry-after-ms"] == "10000"
    now[0] += 10.0
    assert limiter.take("k")[0]


async def test_idempotency_key_replays_the_original_job(api: Api, emu: Emulator) -> None:
    """A POST repeating an Idempotency-Key returns the first job; no second job is created."""
    body = {"prompt": "once", "size": "64x64"}
    first = await api("POST", "/videos", json=body, headers={"Idempotency-Key": "abc"})
    again = await api("POST", "/videos", json=body, headers={"Idempotency-Key": "abc"})
    assert first.status == again.status == 200
    assert again.body["id"] == first.body["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert emu.jobs_created == 1
    other = await api("POST", "/videos", json=body, headers={"Idempotency-Key": "def"})
    assert other.body["id"] != first.body["id"] and emu.jobs_created == 2


async def test_concurrent_twins_make_one_job(api: Api, emu: Emulator) -> None:
    """Two simultaneous POSTs with one Idempotency-Key create a single job."""
    body = {"prompt": "twins", "size": "64x64"}
    answers = await asyncio.gather(
        *(api("POST", "/videos", json=body, headers={"Idempotency-Key": "twin"}) for _ in range(5))
    )
    assert len({a.body["id"] for a in answers}) == 1 and emu.jobs_created == 1


async def test_idempotency_key_with_other_parameters_is_422(api: Api) -> None:
    """Reusing an Idempotency-Key with a different body answers 422 idempotency_key_reused."""
    await api("POST", "/videos", json={"prompt": "a"}, headers={"Idempotency-Key": "k"})
    answer = await api("POST", "/videos", json={"prompt": "b"}, headers={"Idempotency-Key": "k"})
    assert answer.status == 422 and answer.error["code"] == "idempotency_key_reused"


async def test_idempotency_keys_are_per_api_key(api: Api, emu: Emulator) -> None:
    """The same Idempotency-Key under two API keys makes two jobs."""
    body = {"prompt": "p"}
    a = await api("POST", "/videos", json=body, headers={"Idempotency-Key": "shared"})
    b = await api(
        "POST",
        "/videos",
        json=body,
        auth=False,
        headers={"Idempotency-Key": "shared", "Authorization": "Bearer someone-else"},
    )
    assert a.body["id"] != b.body["id"] and emu.jobs_created == 2


async def test_idempotency_applies_to_remix(api: Api, clock: FakeClock, emu: Emulator) -> None:
    """A repeated remix with the same Idempotency-Key returns the first remix."""
    source = await api.create()
    clock.advance(20)
    path = f"/videos/{source['id']}/remix"
    first = await api("POST", path, json={"prompt": "r"}, headers={"Idempotency-Key": "rk"})
    again = await api("POST", path, json={"prompt": "r"}, headers={"Idempotency-Key": "rk"})
    assert first.body["id"] == again.body["id"] and emu.jobs_created == 2


async def test_idempotent_replay_of_multipart_ignores_the_boundary(api: Api, emu: Emulator) -> None:
    """A multipart create repeated with a fresh boundary is still recognised as the same request."""
    import aiohttp

    def form() -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("prompt", "multipart twin")
        data.add_field("size", "64x64")
        return data

    first = await api("POST", "/videos", data=form(), headers={"Idempotency-Key": "mp"})
    again = await api("POST", "/videos", data=form(), headers={"Idempotency-Key": "mp"})
    assert first.body["id"] == again.body["id"] and emu.jobs_created == 1


async def test_request_log_records_what_arrived(api: Api, emu: Emulator) -> None:
    """The request log keeps method, path, route, query, headers, status and video id."""
    video = await api.create()
    await api("GET", f"/videos/{video['id']}", params={"x": "1"})
    await api("GET", "/videos/video_nope")
    records = emu.request_log.snapshot()
    assert [(r.method, r.route, r.status) for r in records] == [
        ("POST", "/videos", 200),
        ("GET", "/videos/{video_id}", 200),
        ("GET", "/videos/{video_id}", 404),
    ]
    assert records[1].query == {"x": "1"} and records[1].video_id == video["id"]
    assert records[0].headers["authorization"] == f"Bearer {KEY}"
    assert records[0].time <= records[1].time <= records[2].time
    assert emu.count("GET") == 2 and emu.count(status=404) == 1
    assert emu.count(path=f"/v1/videos/{video['id']}") == 1
    assert emu.count("get", "/v1/videos/*") == 2
    assert emu.count(route="/videos/{video_id}", status=200) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"fail_rate": 1.5}, id="fail-rate"),
        pytest.param({"fault_rate": -0.1}, id="fault-rate"),
        pytest.param({"rate_limit": 0}, id="rate-limit"),
        pytest.param({"fault_kinds": {"meteor"}}, id="fault-kind"),
        pytest.param({"webhook_secret": "nope"}, id="secret-prefix"),
        pytest.param({"webhook_secret": "whsec_%%%"}, id="secret-base64"),
        pytest.param({"render_seconds": -1.0}, id="render-seconds"),
    ],
)
def test_config_rejects_nonsense(kwargs: dict[str, Any]) -> None:
    """EmulatorConfig refuses out-of-range rates, limits, fault kinds and malformed secrets."""
    from videoclient.emulator import EmulatorConfig

    with pytest.raises(ValueError):  # noqa: PT011 - each message is specific to the field
        EmulatorConfig(**kwargs)


async def test_max_active_keeps_extra_jobs_queued(
    start_emulator: Any, make_api: Any, clock: FakeClock
) -> None:
    """With max_active=1 a second job stays queued while the first renders."""
    api = make_api(await start_emulator(clock=clock, max_active=1))
    first, second = await api.create(), await api.create()
    clock.advance(5)
    assert (await api.get(first["id"]))["status"] == "in_progress"
    assert (await api.get(second["id"]))["status"] == "queued"
    clock.advance(6)
    assert (await api.get(first["id"]))["status"] == "completed"
    assert (await api.get(second["id"]))["status"] == "in_progress"


async def test_request_log_limit_keeps_the_newest(start_emulator: Any, make_api: Any) -> None:
    """request_log_limit bounds the log to its newest records."""
    emulator = await start_emulator(request_log_limit=3)
    api = make_api(emulator)
    for n in range(5):
        await api("GET", "/videos", params={"n": str(n)})
    assert [r.query["n"] for r in emulator.request_log] == ["2", "3", "4"]
