"""The create-retry policy: a create that may have made a job is resent only where the
server deduplicates it (or the caller says so); a provable refusal is always retried.

Pure decisions first (no loop), then every case over real sockets against the
emulator's OpenAI, Runway and Vertex protocols (and a server that never answers, for the
timeout).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from videoclient import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncVideoClient,
    ClientConfig,
    RateLimitError,
    Timeout,
    VideoClient,
)
from videoclient._providers.openai import OPENAI
from videoclient._providers.runway import RUNWAY
from videoclient._providers.vertex import VertexProvider
from videoclient._sansio import creates
from videoclient._sansio.errors import APIError, InternalServerError
from videoclient._sansio.options import resolve_options
from videoclient.batch import run_batch
from videoclient.emulator import Emulator, EmulatorConfig

KEY = "create-retry-key"
RUNWAY_CREATE = "/text_to_video"
OPENAI_CREATE = "/videos"

# -- pure -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "dedup", "conservative", "key"),
    [
        (None, True, False, True),  # OpenAI: retried, with a key
        (None, False, True, False),  # Runway / Vertex: not resent, no key of our own
        ("conservative", True, True, True),  # a gateway that drops the key
        ("idempotent", False, False, True),  # a gateway known to deduplicate
    ],
)
def test_the_policy_defaults_to_the_provider_and_the_caller_overrides(
    policy: str | None, dedup: bool, conservative: bool, key: bool
) -> None:
    assert creates.is_conservative(policy, deduplicates=dedup) is conservative
    assert creates.sends_key(policy, deduplicates=dedup) is key


def test_each_provider_says_which_answers_prove_a_create_was_not_acted_on() -> None:
    assert OPENAI.unprocessed_statuses == frozenset({429})
    assert RUNWAY.unprocessed_statuses == frozenset({429, 502, 503})  # documented load shedding
    assert VertexProvider().unprocessed_statuses == frozenset({429})
    assert (OPENAI.deduplicates_creates, RUNWAY.deduplicates_creates) == (True, False)


def test_a_bad_policy_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="create_retry must be one of 'idempotent', 'conserv"):
        ClientConfig(create_retry="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="create_retry"):
        resolve_options(ClientConfig(), {"create_retry": "never"})
    with pytest.raises(ValueError, match="create_retry"):
        AsyncVideoClient.runway(KEY, create_retry="yes")  # type: ignore[arg-type]
    opts = resolve_options(ClientConfig(create_retry="conservative"), {})
    assert opts.create_retry == "conservative"
    call = resolve_options(
        ClientConfig(create_retry="conservative"), {"create_retry": "idempotent"}
    )
    assert call.create_retry == "idempotent"


def test_the_message_says_a_job_may_exist_and_what_was_done() -> None:
    error: APIError = InternalServerError("boom", status_code=500)
    assert error.job_may_exist is False
    error.mark_job_may_exist(creates.doubt_reason("runway", None, deduplicates=False, resent=False))
    error.mark_job_may_exist("twice")  # said once
    assert error.job_may_exist is True
    assert str(error) == (
        "HTTP 500: boom (the create may have reached the server: a job may exist; it was not sent "
        "again (runway does not deduplicate creates): look for the job before creating another)"
    )
    chosen = creates.doubt_reason("openai", "conservative", deduplicates=True, resent=False)
    assert "(create_retry='conservative')" in chosen
    again = creates.doubt_reason("openai", None, deduplicates=True, resent=True)
    assert "same Idempotency-Key" in again


# -- over real sockets --------------------------------------------------------------------


@asynccontextmanager
async def emulator(**over: Any) -> AsyncIterator[Emulator]:
    cfg = EmulatorConfig(**{"render_seconds": 0.3, "api_key": KEY, "fps": 8, "seed": 7, **over})
    async with Emulator(cfg) as emu:
        yield emu


def faulty(kind: str) -> dict[str, Any]:
    """Every request meets fault ``kind`` (the tests send creates only)."""
    return {"fault_rate": 1.0, "fault_kinds": {kind}}


@pytest.mark.parametrize("kind", ["http_500", "lost_response"])
async def test_runway_does_not_resend_a_create_that_may_have_reached_it(
    sleeps: list[float], kind: str
) -> None:
    """A 500, or a connection dropped after the task was made: one request, and the error
    says a job may exist."""
    async with emulator(**faulty(kind)) as emu:
        async with AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url) as client:
            with pytest.raises((APIStatusError, APIConnectionError)) as info:
                await client.videos.create(prompt="a boat", size="1280x720", seconds=5)
        assert emu.count("POST", route=RUNWAY_CREATE) == 1
        assert sleeps == []
        assert info.value.job_may_exist is True
        assert "a job may exist" in str(info.value) and "runway does not deduplicate" in str(
            info.value
        )
        assert "Idempotency-Key" not in emu.request_log.filter()[0].headers
        if kind == "lost_response":
            assert emu.jobs_created == 1  # the task the error warns about


@pytest.mark.parametrize("kind", ["http_502", "http_503"])
async def test_runway_load_shedding_is_retried(sleeps: list[float], kind: str) -> None:
    """502/503 are Runway's documented load shedding: nothing was made, retrying is safe."""
    async with emulator(**faulty(kind)) as emu:
        async with AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url) as client:
            with pytest.raises(APIStatusError) as info:
                await client.videos.create(prompt="a boat", size="1280x720", seconds=5)
        assert emu.count("POST", route=RUNWAY_CREATE) == 3  # the first and max_retries=2 more
        assert len(sleeps) == 2 and info.value.job_may_exist is False
        assert emu.jobs_created == 0


async def test_a_429_create_is_retried_on_runway(sleeps: list[float]) -> None:
    """A rate-limited create was refused before anything was made: it waits and goes again."""
    async with emulator(rate_limit=1) as emu:
        async with AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url) as client:
            await client.videos.create(prompt="one", size="1280x720", seconds=5)
            with pytest.raises(RateLimitError) as info:
                await client.videos.create(prompt="two", size="1280x720", seconds=5)
        assert emu.count("POST", route=RUNWAY_CREATE) == 4
        assert len(sleeps) == 2 and info.value.job_may_exist is False
        assert emu.jobs_created == 1


async def test_vertex_resource_exhausted_waits_with_backoff_then_goes_again(
    sleeps: list[float],
) -> None:
    """Vertex's 429 RESOURCE_EXHAUSTED: the create waits (growing back-off) and is resent."""
    async with emulator(rate_limit=1) as emu:
        async with AsyncVideoClient.vertex(KEY, base_url=emu.url) as client:
            await client.videos.create(prompt="one", model="veo-3.1-generate-001")
            with pytest.raises(RateLimitError) as info:
                await client.videos.create(prompt="two", model="veo-3.1-generate-001")
        assert emu.count("POST") == 4
        assert len(sleeps) == 2 and sleeps[0] > 0 and sleeps[1] > 0
        assert "RESOURCE_EXHAUSTED" in str(info.value) or info.value.status_code == 429


async def test_vertex_does_not_resend_a_create_answered_with_500(sleeps: list[float]) -> None:
    async with emulator(**faulty("http_500")) as emu:
        async with AsyncVideoClient.vertex(KEY, base_url=emu.url) as client:
            with pytest.raises(APIStatusError) as info:
                await client.videos.create(prompt="a boat", model="veo-3.1-generate-001")
        assert emu.count("POST") == 1 and sleeps == []
        assert info.value.job_may_exist is True and "vertex does not deduplicate" in str(info.value)


async def test_vertex_polls_are_posts_and_are_still_retried(sleeps: list[float]) -> None:
    """fetchPredictOperation is a POST but creates nothing: retried as every poll is."""
    async with emulator() as emu:
        async with AsyncVideoClient.vertex(KEY, base_url=emu.url) as client:
            video = await client.videos.create(prompt="a boat", model="veo-3.1-generate-001")
            emu._state.faults.fault_rate = 1.0  # type: ignore[union-attr]
            emu._state.faults.kinds = frozenset({"http_500"})  # type: ignore[union-attr]
            with pytest.raises(APIStatusError) as info:
                await client.videos.retrieve(video.id)
        assert emu.count("POST") == 4  # one create, a poll and two retries
        assert len(sleeps) == 2 and info.value.job_may_exist is False
        polls = [r for r in emu.request_log.filter() if r.method == "POST"][1:]
        assert all("idempotency-key" not in {h.lower() for h in r.headers} for r in polls)


async def test_openai_protocol_retries_with_one_key_by_default(sleeps: list[float]) -> None:
    """OpenAI's API deduplicates by key: a lost answer is retried, and makes one job."""
    async with emulator(**faulty("lost_response")) as emu:
        async with AsyncVideoClient(api_key=KEY, base_url=emu.base_url) as client:
            with pytest.raises(APIConnectionError) as info:
                await client.videos.create(prompt="a boat")
        records = emu.request_log.filter()
        assert len(records) == 3 and len({r.headers["idempotency-key"] for r in records}) == 1
        assert emu.jobs_created == 1  # the two resends were replays
        assert info.value.job_may_exist is True
        assert "sent again with the same Idempotency-Key" in str(info.value)


async def test_conservative_per_client_and_per_call_behind_a_key_dropping_gateway(
    sleeps: list[float],
) -> None:
    """create_retry='conservative' on the client, or on one call, sends one create."""
    async with emulator(**faulty("http_500")) as emu:
        async with AsyncVideoClient(
            api_key=KEY, base_url=emu.base_url, create_retry="conservative"
        ) as client:
            with pytest.raises(InternalServerError) as info:
                await client.videos.create(prompt="a boat")
            assert emu.count("POST", route=OPENAI_CREATE) == 1
            assert "openai does not deduplicate" not in str(info.value)  # the client chose it
            assert "create_retry='conservative'" in str(info.value)
            with pytest.raises(InternalServerError):
                await client.videos.create(prompt="again", create_retry="idempotent")
            assert emu.count("POST", route=OPENAI_CREATE) == 4  # this call: 1 + 2 retries
        async with AsyncVideoClient(api_key=KEY, base_url=emu.base_url) as client:
            with pytest.raises(InternalServerError):
                await client.videos.create(prompt="a boat", create_retry="conservative")
            assert emu.count("POST", route=OPENAI_CREATE) == 5


async def test_an_honoured_key_still_gives_back_the_one_job(sleeps: list[float]) -> None:
    """Under either policy, a server that replays the key answers with the job it made."""
    async with emulator() as emu:
        async with AsyncVideoClient(
            api_key=KEY, base_url=emu.base_url, create_retry="conservative"
        ) as client:
            first = await client.videos.create(prompt="a boat", idempotency_key="line-1")
            raw = client.videos.with_raw_response
            again = await raw.create(prompt="a boat", idempotency_key="line-1")
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.parse().id == first.id and emu.jobs_created == 1


async def test_a_refused_connection_is_retried_even_for_a_create(sleeps: list[float]) -> None:
    """Nothing listens: the create never left, so trying again is safe on every provider."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with AsyncVideoClient.runway(KEY, base_url=f"http://127.0.0.1:{port}") as client:
        with pytest.raises(APIConnectionError) as info:
            await client.videos.create(prompt="a boat", size="1280x720", seconds=5)
    assert len(sleeps) == 2
    assert info.value.request_sent is False and info.value.job_may_exist is False


async def test_a_create_that_timed_out_is_not_resent(canned: Any, sleeps: list[float]) -> None:
    """A read timeout after the body went: the server may be making the task."""

    async def never(request: Any) -> Any:
        await asyncio.sleep(30)

    canned.answer("POST", "/v1/text_to_video", never)
    base = str(canned.server.make_url(""))
    async with AsyncVideoClient.runway(
        KEY, base_url=base, timeout=Timeout(total=None, read=0.2)
    ) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.videos.create(prompt="a boat", size="1280x720", seconds=5)
    assert len(canned.requests) == 1 and sleeps == []
    assert info.value.request_sent is True and info.value.job_may_exist is True


def test_the_blocking_client_takes_the_policy_too(sleeps: list[float]) -> None:
    with Emulator(EmulatorConfig(api_key=KEY, **faulty("http_500"))).in_thread() as emu:
        with (
            VideoClient(api_key=KEY, base_url=emu.base_url, create_retry="conservative") as c,
            pytest.raises(InternalServerError) as info,
        ):
            c.videos.create(prompt="a boat")
        assert emu.count("POST", route=OPENAI_CREATE) == 1 and info.value.job_may_exist


# -- batches ------------------------------------------------------------------------------


def _faults(emu: Emulator, rate: float, kind: str = "lost_response") -> None:
    plan = emu._state.faults  # type: ignore[union-attr]
    plan.fault_rate, plan.kinds = rate, frozenset({kind})


async def test_a_batch_does_not_resend_an_uncertain_runway_create(
    sleeps: list[float], tmp_path: Path
) -> None:
    """The answer is lost after Runway made the task: the line fails saying a job may
    exist, a rerun refuses to resend it, and only --resend-uncertain sends it again."""
    lines = [{"prompt": "a boat", "size": "1280x720", "seconds": 2}]
    async with (
        emulator() as emu,
        AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url) as client,
    ):
        _faults(emu, 1.0)
        first = await run_batch(client, lines, out_dir=tmp_path, poll_interval=0.05)
        (line,) = first.results
        assert line.status == "failed" and "a job may exist" in (line.error or "")
        assert emu.count("POST", route=RUNWAY_CREATE) == 1 and emu.jobs_created == 1
        _faults(emu, 0.0)
        again = await run_batch(client, lines, out_dir=tmp_path, poll_interval=0.05)
        (line,) = again.results
        assert line.status == "failed" and "--resend-uncertain" in (line.error or "")
        assert emu.count("POST", route=RUNWAY_CREATE) == 1  # nothing sent
        forced = await run_batch(
            client, lines, out_dir=tmp_path, poll_interval=0.05, resend_uncertain=True
        )
        assert forced.ok and emu.count("POST", route=RUNWAY_CREATE) == 2


async def test_a_batch_retries_a_provably_refused_runway_create(
    sleeps: list[float], tmp_path: Path
) -> None:
    """503 (load shedding) past the client's retries: nothing was made, so the batch's
    own retry goes again, and a later rerun is not treated as uncertain."""
    lines = [{"prompt": "a boat", "size": "1280x720", "seconds": 2}]
    async with (
        emulator() as emu,
        AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url) as client,
    ):
        _faults(emu, 1.0, "http_503")
        first = await run_batch(client, lines, out_dir=tmp_path, retries=1)
        assert first.counts()["failed"] == 1 and emu.jobs_created == 0
        assert emu.count("POST", route=RUNWAY_CREATE) == 6  # 2 tries of 1 + 2 retries
        _faults(emu, 0.0)
        again = await run_batch(client, lines, out_dir=tmp_path, poll_interval=0.05)
        assert again.ok and emu.jobs_created == 1


async def test_a_batch_on_a_deduplicating_server_resends_with_its_key(
    sleeps: list[float], tmp_path: Path
) -> None:
    """OpenAI's protocol: the lost answer is resent with the line's key; one job."""
    async with emulator() as emu, AsyncVideoClient(api_key=KEY, base_url=emu.base_url) as client:
        _faults(emu, 1.0)
        first = await run_batch(client, ["a boat"], out_dir=tmp_path, retries=0)
        assert first.counts()["failed"] == 1 and emu.jobs_created == 1
        _faults(emu, 0.0)
        again = await run_batch(client, ["a boat"], out_dir=tmp_path, poll_interval=0.05)
        assert again.ok and emu.jobs_created == 1
        keys = {r.headers["idempotency-key"] for r in emu.request_log.filter("POST")}
        assert len(keys) == 1


# -- command line -------------------------------------------------------------------------


def test_the_cli_passes_create_retry_to_every_client_and_checks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--create-retry conservative behind a gateway: one create sent, exit 3 saying a job may
    exist; a value that is not a policy is a usage error naming the choices."""
    from click.testing import CliRunner

    from videoclient.cli._app import cli
    from videoclient.cli._settings import client_for

    assert client_for("openai", "k", None, "conservative").create_retry == "conservative"
    assert client_for("runway", "k", None).create_retry == "conservative"
    assert client_for("vertex", "k", None, "idempotent").create_retry == "idempotent"
    monkeypatch.chdir(tmp_path)
    bad = CliRunner().invoke(cli, ["--create-retry", "sometimes", "create", "x"])
    assert bad.exit_code == 2 and "idempotent" in bad.output and "conservative" in bad.output
    with Emulator(EmulatorConfig(api_key=KEY, **faulty("http_500"))).in_thread() as emu:
        args = ["--api-key", KEY, "--base-url", emu.base_url, "--create-retry", "conservative"]
        result = CliRunner().invoke(cli, [*args, "create", "a boat"])
        assert result.exit_code == 3, result.output
        assert "a job may exist" in result.output
        assert emu.count("POST", route=OPENAI_CREATE) == 1


# -- behind a gateway (the emulator's gateway mode) ------------------------------------------


@pytest.mark.parametrize(
    ("quirks", "policy", "jobs"),
    [
        ({"drop-idempotency"}, None, 3),  # the key is dropped: each resend is a new job
        ({"drop-idempotency"}, "conservative", 1),  # one create sent, the error warns
        ({"drop-headers"}, None, 1),  # the key goes through: resends are replays
    ],
)
async def test_behind_a_gateway_the_policy_decides_how_many_jobs_a_lost_answer_makes(
    sleeps: list[float], quirks: set[str], policy: Any, jobs: int
) -> None:
    """LiteLLM 1.110 drops Idempotency-Key: with default retries one create whose answers
    are lost makes a job per attempt; create_retry='conservative' makes one."""
    async with (
        emulator(gateway_quirks=quirks, **faulty("lost_response")) as emu,
        AsyncVideoClient(api_key=KEY, base_url=emu.base_url, create_retry=policy) as client,
    ):
        with pytest.raises(APIConnectionError) as info:
            await client.videos.create(prompt="a boat")
    assert emu.jobs_created == jobs
    assert emu.count("POST", route=OPENAI_CREATE) == (1 if policy == "conservative" else 3)
    assert info.value.job_may_exist is True
