"""Runway's adapter as pure code: canned JSON in, values out; no event loop, no socket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from videoclient import (
    ConflictError,
    MissingAPIKeyError,
    UnsupportedOperationError,
    Video,
    VideoClientError,
    VideoFailedError,
)
from videoclient._providers.openai import OPENAI
from videoclient._providers.runway import RUNWAY, auth
from videoclient._sansio.adapter import require
from videoclient._sansio.config import ClientConfig, Secret
from videoclient._sansio.files import PendingFile
from videoclient._sansio.http import Response
from videoclient._sansio.models import DeletedVideo
from videoclient._sansio.pacing import Pacer


def _resp(body: Any, status: int = 200) -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status, {"x-request-id": "req_1"}, raw)


def _task(**fields: Any) -> Video:
    return RUNWAY.parse(
        _resp({"id": "t1", "createdAt": "2024-06-13T16:43:40.540Z", **fields}), Video
    )


def test_every_request_carries_the_version_and_a_bearer_key() -> None:
    """X-Runway-Version (default 2024-11-06) and Authorization: Bearer KEY."""
    config = ClientConfig(base_url="https://api.dev.runwayml.com", api_key=Secret("k1"))
    assert RUNWAY.fixed_headers(config) == {"X-Runway-Version": "2024-11-06"}
    assert RUNWAY.key_headers(config) == {"Authorization": "Bearer k1"}
    other = ClientConfig(base_url="https://x.test", api_version="2025-01-01")
    assert RUNWAY.fixed_headers(other)["X-Runway-Version"] == "2025-01-01"


def test_a_missing_key_names_runways_variable() -> None:
    """No key: MissingAPIKeyError naming RUNWAYML_API_SECRET."""
    config = ClientConfig(base_url="https://x.test", key_env_var=auth.KEY_ENV_VAR)
    with pytest.raises(MissingAPIKeyError, match="RUNWAYML_API_SECRET"):
        RUNWAY.key_headers(config)


def test_a_text_create_maps_size_and_seconds() -> None:
    """POST v1/text_to_video with promptText, ratio W:H from size, duration as int."""
    req = RUNWAY.build_create(prompt="a cat", size="720x1280", seconds="6")
    assert (req.method, req.path) == ("POST", "v1/text_to_video")
    assert req.json == {
        "model": "gen4.5",
        "promptText": "a cat",
        "ratio": "720:1280",
        "duration": 6,
    }


def test_defaults_fill_what_runway_requires() -> None:
    """Without size/seconds the model's defaults are sent (Runway requires both)."""
    assert RUNWAY.build_create(prompt="x").json["ratio"] == "1280:720"
    assert RUNWAY.build_create(prompt="x", model="veo3").json["duration"] == 8


def test_an_image_create_goes_to_image_to_video_with_the_file_inlined() -> None:
    """A file becomes a data-URI promptImage (read later, off the loop); a URL passes as is."""
    req = RUNWAY.build_create(prompt="move", input_reference=b"\x89PNG....", size="960x960")
    assert req.path == "v1/image_to_video" and req.inline_files
    image = req.json["promptImage"]
    assert isinstance(image, PendingFile) and image.inline == "data_uri"
    url = RUNWAY.build_create(prompt="m", input_reference={"image_url": "https://e.test/a.png"})
    assert url.json["promptImage"] == "https://e.test/a.png" and not url.inline_files


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        pytest.param({"size": "1920x1080"}, ["1280x720", "720x1280"], id="size-gen4.5"),
        pytest.param({"seconds": 12}, ["2, 3", "10"], id="seconds-gen4.5"),
        pytest.param({"model": "veo3.1", "seconds": 5}, ["4, 6, 8"], id="seconds-veo"),
        pytest.param({"model": "gen4_turbo"}, ["input_reference"], id="image-only"),
        pytest.param({"fit": "cover"}, ["fit"], id="fit"),
    ],
)
def test_what_a_model_cannot_make_is_a_value_error_listing_what_it_can(
    kwargs: dict[str, Any], words: list[str]
) -> None:
    """A size or duration Runway cannot express: ValueError with the accepted values."""
    with pytest.raises(ValueError, match=words[0]) as info:
        RUNWAY.build_create(prompt="x", **kwargs)
    for word in words:
        assert word in str(info.value)


def test_unknown_models_and_extra_body_pass_through() -> None:
    """An unknown model keeps any ratio; extra_body fields land at the body's top level."""
    req = RUNWAY.build_create(
        prompt="x",
        model="gen9",
        size="1000x500",
        seconds=7,
        extra_body={"seed": 7, "contentModeration": {"publicFigureThreshold": "low"}},
    )
    assert req.json["model"] == "gen9" and req.json["ratio"] == "1000:500"
    assert req.json["seed"] == 7 and req.json["contentModeration"] == {
        "publicFigureThreshold": "low"
    }


def test_retrieve_and_delete_paths() -> None:
    """GET and DELETE /v1/tasks/{id}."""
    assert RUNWAY.build_retrieve("t-1").path == "v1/tasks/t-1"
    assert RUNWAY.build_delete("t-1").method == "DELETE"


@pytest.mark.parametrize(
    ("fields", "status", "progress"),
    [
        pytest.param({"status": "PENDING"}, "queued", None, id="pending"),
        pytest.param({"status": "THROTTLED"}, "queued", None, id="throttled"),
        pytest.param({"status": "RUNNING", "progress": 0.42}, "in_progress", 42, id="running"),
        pytest.param(
            {"status": "SUCCEEDED", "output": ["https://cdn.test/v.mp4?_jwt=x"]},
            "completed",
            100,
            id="ok",
        ),
        pytest.param({"status": "CANCELLED"}, "cancelled", None, id="cancelled"),
    ],
)
def test_statuses_map_onto_the_neutral_ones(
    fields: dict[str, Any], status: str, progress: int | None
) -> None:
    """Each task status maps to a neutral one; the provider's word stays readable."""
    video = _task(**fields)
    assert (video.status, video.progress) == (status, progress)
    assert video.provider_status == fields["status"]
    assert video.created_at == 1718297020
    assert video.is_pending == (status == "queued" or status == "in_progress")


def test_a_failed_task_carries_failure_and_code() -> None:
    """FAILED: failure -> error.message, failureCode -> error.code."""
    video = _task(status="FAILED", failure="Blocked by moderation", failureCode="SAFETY.INPUT.TEXT")
    assert video.status == "failed" and video.error is not None
    assert (video.error.code, video.error.message) == ("SAFETY.INPUT.TEXT", "Blocked by moderation")


def test_a_create_answer_is_a_queued_job() -> None:
    """The create answer {"id"} reads as a queued job; a DELETE's 204 as a deleted one."""
    assert RUNWAY.parse(_resp({"id": "t9"}), Video).status == "queued"
    gone = RUNWAY.parse(_resp(b"", 204), DeletedVideo, url="https://x.test/v1/tasks/t9")
    assert gone == DeletedVideo(id="t9", deleted=True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"error": "Task not found"}, "Task not found", id="string"),
        pytest.param(
            {
                "error": "Validation of body failed",
                "issues": [{"path": ["ratio"], "message": "Invalid"}],
            },
            "Validation of body failed (ratio: Invalid)",
            id="issues",
        ),
        pytest.param(b"<html><title>Bad gateway</title></html>", "Bad gateway", id="html"),
    ],
)
def test_runway_error_shapes_are_read(body: Any, message: str) -> None:
    """{"error": "..."} (and validation issues, and proxies' pages) give a readable error."""
    err = RUNWAY.status_error(_resp(body, 400))
    assert err.message == message and err.status_code == 400


def test_content_comes_from_the_output_url_without_credentials() -> None:
    """A SUCCEEDED task's first output is fetched as an anonymous absolute URL."""
    url = "https://dnznrvs05pmza.cloudfront.net/a/video.mp4?_jwt=secret"
    req = RUNWAY.build_job_content(_task(status="SUCCEEDED", output=[url]))
    assert req.anonymous and req.stream and req.path == url
    assert "secret" not in req.shown


def test_content_of_a_pending_or_failed_task_is_refused_clearly() -> None:
    """Not finished: ConflictError; failed or cancelled: VideoFailedError."""
    with pytest.raises(ConflictError, match="not finished"):
        RUNWAY.build_job_content(_task(status="RUNNING", progress=0.5))
    with pytest.raises(VideoFailedError):
        RUNWAY.build_job_content(_task(status="CANCELLED"))


@pytest.mark.parametrize(
    "operation",
    ["list", "remix", "edit", "extend", "characters", "content:thumbnail", "content:spritesheet"],
)
def test_operations_runway_lacks_are_unsupported(operation: str) -> None:
    """UnsupportedOperationError (a VideoClientError) names the provider and the operation."""
    with pytest.raises(UnsupportedOperationError) as info:
        require(RUNWAY, operation)
    assert isinstance(info.value, VideoClientError)
    assert (info.value.provider, info.value.operation) == ("runway", operation)
    assert "runway" in str(info.value) and operation in str(info.value)
    require(OPENAI, operation)  # OpenAI has them all


def test_runway_does_not_deduplicate_creates() -> None:
    """No idempotency key: a create that may have arrived must not be sent twice by default."""
    assert RUNWAY.deduplicates_creates is False and OPENAI.deduplicates_creates is True


def test_the_pace_never_drops_under_runways_five_seconds() -> None:
    """With Runway's floor, back-off and predictions never wait under 5 s; an interval wins."""
    pacer = Pacer.for_provider(None, RUNWAY.min_poll_interval, RUNWAY.max_poll_interval)
    delays = [pacer.next_delay(None, until_done=0.2) for _ in range(3)]
    delays.append(pacer.next_delay(0.5))  # a hint under the floor
    assert min(delays) >= 5.0
    assert Pacer.for_provider(0.2, 5.0, 15.0).next_delay(None) == 0.2
