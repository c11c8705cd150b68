"""Veo on Vertex AI as pure code: canned operations in, values out; no event loop."""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
from typing import Any

import pytest

from videoclient import (
    ConflictError,
    MissingAPIKeyError,
    UnsupportedOperationError,
    Video,
    VideoFailedError,
)
from videoclient._providers.vertex import VertexProvider, auth
from videoclient._sansio.adapter import require
from videoclient._sansio.config import ClientConfig, Secret
from videoclient._sansio.files import PendingFile
from videoclient._sansio.http import Response
from videoclient._sansio.inline import ANSWER_TTL, MAX_ANSWERS, InlineField, RecentAnswers

EXPRESS = VertexProvider()
PROJECT = VertexProvider("my-proj", "us-central1")
NAME = "projects/my-proj/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/op1"


def _op(**fields: Any) -> Video:
    body = json.dumps({"name": NAME, **fields}).encode()
    return EXPRESS.parse(Response(200, {}, body), Video)


def test_express_mode_sends_the_key_as_x_goog_api_key() -> None:
    """Express mode: x-goog-api-key; a token from a token_provider goes as Bearer."""
    config = ClientConfig(base_url=auth.EXPRESS_BASE_URL, api_key=Secret("g1"))
    assert EXPRESS.key_headers(config) == {"x-goog-api-key": "g1"}
    assert EXPRESS.token_headers("tok") == {"Authorization": "Bearer tok"}
    with pytest.raises(MissingAPIKeyError, match="GOOGLE_API_KEY"):
        EXPRESS.key_headers(ClientConfig(base_url=auth.EXPRESS_BASE_URL))
    assert auth.base_url_for("europe-west4") == "https://europe-west4-aiplatform.googleapis.com"


def test_create_paths_in_both_modes() -> None:
    """predictLongRunning, with projects/P/locations/L/ in project mode only."""
    assert EXPRESS.build_create(prompt="x").path == (
        "v1beta1/publishers/google/models/veo-3.1-generate-001:predictLongRunning"
    )
    assert PROJECT.build_create(prompt="x", model="veo-3.1-fast-generate-001").path == (
        "v1beta1/projects/my-proj/locations/us-central1/publishers/google/models/"
        "veo-3.1-fast-generate-001:predictLongRunning"
    )


def test_size_and_seconds_map_to_aspect_ratio_resolution_and_duration() -> None:
    """1920x1080 -> 16:9/1080p, 720x1280 -> 9:16/720p; seconds as an int."""
    body = EXPRESS.build_create(prompt="a fox", size="1920x1080", seconds="6").json
    assert body["instances"] == [{"prompt": "a fox"}]
    assert body["parameters"] == {
        "sampleCount": 1,
        "aspectRatio": "16:9",
        "resolution": "1080p",
        "durationSeconds": 6,
    }
    assert (
        EXPRESS.build_create(prompt="x", size=(720, 1280)).json["parameters"]["aspectRatio"]
        == "9:16"
    )


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        pytest.param({"size": "1024x1024"}, "1280x720", id="size"),
        pytest.param({"seconds": 5}, "4, 6, 8", id="veo3-seconds"),
        pytest.param({"model": "veo-2.0-generate-001", "seconds": 4}, "5, 6, 8", id="veo2-seconds"),
    ],
)
def test_what_veo_cannot_express_is_a_value_error_listing_what_it_can(
    kwargs: dict[str, Any], word: str
) -> None:
    """ValueError naming the accepted values, before anything is sent."""
    with pytest.raises(ValueError, match=word):
        EXPRESS.build_create(prompt="x", **kwargs)


def test_extra_body_goes_where_vertex_reads_it() -> None:
    """Parameters into parameters, instance fields into instances[0], labels at the top."""
    body = EXPRESS.build_create(
        prompt="x",
        model="my-tuned-veo",
        seconds=11,
        extra_body={
            "negativePrompt": "rain",
            "seed": 3,
            "storageUri": "gs://b/out",
            "generateAudio": True,
            "lastFrame": {"gcsUri": "gs://b/l.png", "mimeType": "image/png"},
            "labels": {"team": "a"},
        },
    ).json
    assert (
        body["parameters"]["negativePrompt"] == "rain"
        and body["parameters"]["storageUri"] == "gs://b/out"
    )
    assert body["parameters"]["durationSeconds"] == 11  # an unknown model passes through
    assert body["instances"][0]["lastFrame"]["gcsUri"] == "gs://b/l.png"
    assert body["labels"] == {"team": "a"}


def test_an_image_is_inlined_as_base64() -> None:
    """A file becomes image {bytesBase64Encoded, mimeType}, read off the loop."""
    req = EXPRESS.build_create(prompt="x", input_reference=b"\x89PNG....")
    image = req.json["instances"][0]["image"]
    assert req.inline_files and isinstance(image, PendingFile) and image.inline == "base64_image"


def test_poll_is_fetch_predict_operation_on_the_operations_model() -> None:
    """POST .../models/M:fetchPredictOperation {"operationName": name}; ids contain '/'."""
    req = EXPRESS.build_retrieve(NAME)
    assert req.method == "POST" and req.json == {"operationName": NAME}
    assert req.path == (
        "v1beta1/projects/my-proj/locations/us-central1/publishers/google/models/"
        "veo-3.1-generate-001:fetchPredictOperation"
    )
    for bad in ("op1", "publishers/google/models/m/operations/../x", "a b/operations/c"):
        with pytest.raises(ValueError, match="operation name"):
            EXPRESS.check_id(bad)


def test_a_running_operation_is_in_progress_without_progress() -> None:
    """done absent or false: in_progress, progress None (Veo reports none)."""
    for fields in ({}, {"done": False}):
        video = _op(**fields)
        assert (video.status, video.progress, video.provider_status) == (
            "in_progress",
            None,
            "running",
        )
    assert EXPRESS.parse(Response(200, {}, b'{"name": "n"}'), Video).is_pending  # a create's answer


def test_an_error_fails_the_job_with_its_message() -> None:
    """done + error: failed, error.message from the operation."""
    video = _op(done=True, error={"code": 13, "message": "Internal error"})
    assert video.status == "failed" and video.error is not None
    assert (video.error.code, video.error.message) == ("13", "Internal error")


def test_a_safety_filtered_result_is_failed_with_the_reason() -> None:
    """done, no video, raiMediaFilteredCount: failed with the filter's reasons."""
    video = _op(
        done=True,
        response={"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": ["Child safety"]},
    )
    assert (video.status, video.provider_status) == ("failed", "filtered")
    assert video.error is not None and "Child safety" in video.error.message
    with pytest.raises(VideoFailedError):
        EXPRESS.build_job_content(video)


def test_a_finished_operation_drops_its_inline_video_from_the_model() -> None:
    """The base64 is cut out before parsing; the model keeps its size, not its bytes."""
    data = os.urandom(3001)
    video = _op(
        done=True,
        response={
            "videos": [
                {"bytesBase64Encoded": base64.b64encode(data).decode(), "mimeType": "video/mp4"}
            ]
        },
    )
    assert (video.status, video.progress) == ("completed", 100)
    assert video.extra["videos"] == [
        {"bytesBase64Encoded": None, "mimeType": "video/mp4", "size": 3001}
    ]


def test_a_gcs_result_explains_where_the_file_is() -> None:
    """storageUri: the download names the caller's bucket instead of fetching."""
    video = _op(
        done=True,
        response={"videos": [{"gcsUri": "gs://b/out/sample_0.mp4", "mimeType": "video/mp4"}]},
    )
    with pytest.raises(UnsupportedOperationError, match=r"gs://b/out/sample_0\.mp4"):
        EXPRESS.build_job_content(video)
    with pytest.raises(ConflictError):
        EXPRESS.build_job_content(_op(done=False))


def test_googles_error_shape_is_read() -> None:
    """{"error": {"code", "message", "status"}}: status becomes the code."""
    body = json.dumps(
        {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
    )
    err = EXPRESS.status_error(Response(429, {}, body.encode()))
    assert (err.status_code, err.message, err.code) == (429, "Quota exceeded", "RESOURCE_EXHAUSTED")


@pytest.mark.parametrize(
    "operation", ["list", "delete", "remix", "edit", "extend", "characters", "content:thumbnail"]
)
def test_operations_vertex_lacks_are_unsupported(operation: str) -> None:
    """UnsupportedOperationError names vertex and the operation."""
    with pytest.raises(UnsupportedOperationError, match="vertex"):
        require(EXPRESS, operation)
    assert EXPRESS.deduplicates_creates is False


@pytest.mark.parametrize("step", [1, 5, 333, 64 * 1024])
def test_inline_base64_is_decoded_piece_by_piece(step: int) -> None:
    """Any split of the answer gives the same bytes; each piece yields at most its share."""
    data = os.urandom(200_001)
    value = base64.b64encode(data).replace(b"/", b"\\/")  # JSON may escape "/" as "\/"
    doc = (
        b'{"name":"n","done":true,"response":{"videos":[{"bytesBase64Encoded":"'
        + value
        + b'","mimeType":"video/mp4"}]}}'
    )
    field = InlineField("bytesBase64Encoded")
    out = []
    for i in range(0, len(doc), step):
        piece = field.feed(doc[i : i + step])
        assert len(piece) <= step * 3 // 4 + 3
        out.append(piece)
    assert b"".join(out) == data and field.closed and field.decoded == len(data)
    assert json.loads(bytes(field.outside))["response"]["videos"][0] == {
        "bytesBase64Encoded": "",
        "mimeType": "video/mp4",
    }
    assert len(field.outside) < 200


def test_broken_base64_is_an_error() -> None:
    """A value that is not base64 (or ends mid-group) is refused."""
    with pytest.raises(ValueError, match="base64"):
        InlineField("f").feed(b'{"f": "ab!d"}')
    with pytest.raises(ValueError, match="mid-group"):
        InlineField("f").feed(b'{"f": "abcde"}')


def test_a_kept_answer_is_handed_out_once_while_fresh() -> None:
    """RecentAnswers: take() gives the kept body once, and nothing after ANSWER_TTL."""
    answers = RecentAnswers()
    answers.keep("op1", b"body-1", now=100.0)
    assert answers.take("op2", now=100.0) is None
    assert answers.take("op1", now=100.0 + ANSWER_TTL - 0.5) == b"body-1"
    assert answers.take("op1", now=100.0) is None  # taken: the next download fetches again
    answers.keep("op1", b"old", now=100.0)
    answers.keep("op1", b"new", now=101.0)  # the same job polled again: the newer answer
    assert answers.take("op1", now=101.0) == b"new"
    answers.keep("op1", b"stale", now=100.0)
    assert answers.take("op1", now=100.0 + ANSWER_TTL) is None and len(answers) == 0


def test_at_most_two_answers_are_kept() -> None:
    """The newest MAX_ANSWERS (2) answers are kept; an older or stale one is dropped on keep."""
    answers = RecentAnswers()
    for i in range(MAX_ANSWERS + 1):
        answers.keep(f"op{i}", f"body-{i}".encode(), now=float(i))
    assert len(answers) == MAX_ANSWERS and answers.take("op0", now=3.0) is None
    answers.keep("late", b"x", now=2.0 + ANSWER_TTL)  # op1 and op2 have gone stale meanwhile
    assert len(answers) == 1 and answers.take("op2", now=2.0) is None
    answers.clear()
    assert answers.take("late", now=2.0 + ANSWER_TTL) is None and len(answers) == 0


def test_inline_sizes_are_counted_without_copying_the_value() -> None:
    """strip_inline gives each video's decoded size (escapes and padding counted in place)."""
    from videoclient._providers.vertex.protocol import strip_inline

    data = os.urandom(1000)  # 1000 bytes: base64 ends in "=="
    value = base64.b64encode(data).replace(b"/", b"\\/")
    doc = b'{"a":{"bytesBase64Encoded": "' + value + b'"},"b":{"bytesBase64Encoded":"QUI="}}'
    stripped, sizes = strip_inline(doc)
    assert sizes == [1000, 2]
    assert json.loads(stripped) == {
        "a": {"bytesBase64Encoded": ""},
        "b": {"bytesBase64Encoded": ""},
    }


@pytest.mark.parametrize("step", [3, 4096, 10**7])
def test_a_value_split_in_odd_places_decodes_from_a_memoryview(step: int) -> None:
    """Pieces cut mid-group and mid-escape decode the same; a whole piece needs no copy."""
    data = os.urandom(3 * 4096 + 1)
    value = base64.b64encode(data).replace(b"/", b"\\/")
    doc = b'{"f" :\n "' + value + b'"}'
    field = InlineField("f")
    out = b"".join(field.feed(doc[i : i + step]) for i in range(0, len(doc), step))
    assert out == data and field.closed and field.around() == b'{"f" :\n ""}'


def test_pybase64_decodes_when_installed_and_refuses_what_binascii_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The speedups extra's decoder is used when importable; both refuse the same input."""
    pytest.importorskip("pybase64")
    from videoclient._sansio import inline

    fast = inline.decoder()
    assert fast is not inline._stdlib_decode
    inline.decoder.cache_clear()
    monkeypatch.setitem(sys.modules, "pybase64", None)  # not installed
    try:
        assert inline.decoder() is inline._stdlib_decode
    finally:
        inline.decoder.cache_clear()
    data = os.urandom(3000)
    value = memoryview(base64.b64encode(data))
    assert fast(value) == inline._stdlib_decode(value) == data
    for bad in (b"ab!d", b"QQ==QUJD", b"QQ=A", b"Q===", b"QUJD\n"):
        with pytest.raises(binascii.Error):
            fast(bad)
        with pytest.raises(binascii.Error):
            inline._stdlib_decode(bad)
