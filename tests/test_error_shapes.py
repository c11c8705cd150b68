"""Error bodies in every shape a provider or gateway answers with: pure, canned bodies, no loop."""

from __future__ import annotations

import json
from typing import Any

import pytest

import videoclient
from videoclient._providers.openai import OPENAI
from videoclient._providers.runway import RUNWAY
from videoclient._providers.vertex import VertexProvider
from videoclient._sansio.adapter import Provider
from videoclient._sansio.errors import status_error_class
from videoclient._sansio.errorshapes import ErrorReading, read_error
from videoclient._sansio.http import Response

VERTEX = VertexProvider()

UPSTREAM = {
    "error": {
        "message": "Invalid value for 'size': '999x1'.",
        "type": "invalid_request_error",
        "param": "size",
        "code": "invalid_value",
    }
}


def answer(body: Any, status: int = 400, **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, raw)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            UPSTREAM,
            ErrorReading(
                "Invalid value for 'size': '999x1'.",
                "invalid_value",
                "size",
                "invalid_request_error",
            ),
            id="openai",
        ),
        pytest.param(
            {"error": "Task not found"}, ErrorReading("Task not found"), id="error-string"
        ),
        pytest.param(
            {"error": "Rate limited", "code": "too_many"},
            ErrorReading("Rate limited", "too_many"),
            id="error-string-with-code",
        ),
        pytest.param(
            {"detail": "Method Not Allowed"}, ErrorReading("Method Not Allowed"), id="detail-string"
        ),
        pytest.param(
            {
                "detail": [
                    {"loc": ["body", "size"], "msg": "Field required", "type": "missing"},
                    {"loc": ["query", "limit"], "msg": "Input should be <= 100", "type": "le"},
                ]
            },
            ErrorReading(
                "size: Field required; limit: Input should be <= 100", "missing", "size", None
            ),
            id="detail-list",
        ),
        pytest.param(
            {"detail": [{"loc": ["body"], "msg": "Invalid JSON", "type": "value_error"}]},
            ErrorReading("Invalid JSON", "value_error"),
            id="detail-list-whole-body",
        ),
        pytest.param(
            {"detail": {"error": "Not allowed for this key"}},
            ErrorReading("Not allowed for this key"),
            id="detail-object",
        ),
        pytest.param(
            {
                "type": "about:blank",
                "title": "Input validation failed",
                "detail": "The input is not valid.",
                "status": 422,
                "invalid_fields": [
                    {"type": "required", "field": "input.prompt", "description": "is required"}
                ],
            },
            ErrorReading(
                "Input validation failed: The input is not valid. (input.prompt: is required)"
            ),
            id="rfc7807-replicate",
        ),
        pytest.param(
            {
                "type": "https://example.com/probs/out-of-credit",
                "title": "You do not have enough credit.",
                "status": 402,
            },
            ErrorReading(
                "You do not have enough credit.", type="https://example.com/probs/out-of-credit"
            ),
            id="rfc7807-title-only",
        ),
        pytest.param(
            {"message": "Internal server error"},
            ErrorReading("Internal server error"),
            id="message",
        ),
        pytest.param(
            {"message": "Forbidden", "code": 403},
            ErrorReading("Forbidden", "403"),
            id="message-code",
        ),
        pytest.param(
            {
                "error": {
                    "message": "litellm.BadRequestError: OpenAIException - " + json.dumps(UPSTREAM),
                    "type": None,
                    "param": None,
                    "code": "400",
                }
            },
            ErrorReading(
                "Invalid value for 'size': '999x1'.",
                "invalid_value",
                "size",
                "invalid_request_error",
            ),
            id="litellm-json",
        ),
        pytest.param(
            {
                "error": {
                    "message": "litellm.NotFoundError: OpenAIException - Error code: 404 - "
                    "{'error': {'message': \"Video 'video_9' not found\", "
                    "'type': 'invalid_request_error', 'param': None, 'code': 'video_not_found'}}",
                    "type": "None",
                    "param": "None",
                    "code": "404",
                }
            },
            ErrorReading(
                "Video 'video_9' not found", "video_not_found", None, "invalid_request_error"
            ),
            id="litellm-python-repr",
        ),
        pytest.param(
            {
                "error": {
                    "message": "litellm.APIConnectionError: upstream said {not json at all",
                    "code": "500",
                }
            },
            ErrorReading("litellm.APIConnectionError: upstream said {not json at all", "500"),
            id="litellm-unreadable-embed",
        ),
        pytest.param(
            {
                "error": {
                    "code": 400,
                    "message": "Provider returned error",
                    "metadata": {
                        "raw": json.dumps({"error": {"message": "seconds must be 4, 8 or 12"}}),
                        "provider_name": "OpenAI",
                    },
                }
            },
            ErrorReading("Provider returned error: seconds must be 4, 8 or 12", "400"),
            id="openrouter-metadata-raw",
        ),
        pytest.param(
            {"error": {"message": "Provider returned error", "metadata": {"raw": "upstream 502"}}},
            ErrorReading("Provider returned error: upstream 502"),
            id="openrouter-raw-text",
        ),
        pytest.param(
            {"error": {"message": "Not allowed", "type": "None", "param": "None", "code": "405"}},
            ErrorReading("Not allowed", "405"),
            id="litellm-proxy-none-strings",
        ),
        pytest.param(
            {"errors": [{"message": "prompt is too long"}, {"message": "seconds is invalid"}]},
            ErrorReading("prompt is too long; seconds is invalid"),
            id="errors-list",
        ),
        pytest.param({"ok": False}, ErrorReading(), id="unknown"),
        pytest.param(["not", "an", "object"], ErrorReading(), id="list"),
        pytest.param(None, ErrorReading(), id="none"),
    ],
)
def test_every_error_shape_keeps_the_servers_words(body: Any, expected: ErrorReading) -> None:
    """read_error finds message, code, param and type in each provider's and gateway's shape."""
    assert read_error(body) == expected


@pytest.mark.parametrize(
    ("provider", "body", "status", "message", "code"),
    [
        pytest.param(
            OPENAI,
            {"detail": "Method Not Allowed"},
            405,
            "Method Not Allowed",
            None,
            id="openai-detail",
        ),
        pytest.param(
            OPENAI,
            {"title": "Not Found", "detail": "no route"},
            404,
            "Not Found: no route",
            None,
            id="openai-rfc7807",
        ),
        pytest.param(
            RUNWAY,
            {"error": "Bad ratio", "issues": [{"path": ["ratio"], "message": "Invalid"}]},
            400,
            "Bad ratio (ratio: Invalid)",
            None,
            id="runway-issues",
        ),
        pytest.param(
            RUNWAY,
            {"error": "Task failed", "failureCode": "SAFETY.INPUT.TEXT"},
            400,
            "Task failed",
            "SAFETY.INPUT.TEXT",
            id="runway-failure-code",
        ),
        pytest.param(
            RUNWAY,
            {"detail": [{"loc": ["body", "ratio"], "msg": "bad"}]},
            422,
            "ratio: bad",
            None,
            id="runway-behind-fastapi",
        ),
        pytest.param(
            VERTEX,
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            429,
            "Quota exceeded",
            "RESOURCE_EXHAUSTED",
            id="google-status",
        ),
        pytest.param(
            VERTEX, {"detail": "Bad Gateway"}, 502, "Bad Gateway", None, id="vertex-behind-fastapi"
        ),
        pytest.param(
            OPENAI, b"upstream connect error", 503, "upstream connect error", None, id="plain-text"
        ),
        pytest.param(OPENAI, b"", 502, "HTTP 502 with no error message", None, id="empty"),
    ],
)
def test_each_provider_reads_foreign_shapes_and_keeps_its_own_fields(
    provider: Provider, body: Any, status: int, message: str, code: str | None
) -> None:
    """Every provider's status_error reads any shape and keeps Runway's and Google's extras."""
    err = provider.status_error(answer(body, status))
    assert type(err) is status_error_class(status)
    assert (err.status_code, err.message, err.code) == (status, message, code)


@pytest.mark.parametrize(
    ("headers", "request_id"),
    [
        pytest.param({"x_request_id": "req_1", "request_id": "other"}, "req_1", id="x-request-id"),
        pytest.param({"request_id": "req_2"}, "req_2", id="request-id"),
        pytest.param({"x_litellm_call_id": "call_3"}, "call_3", id="litellm-call-id"),
        pytest.param({}, None, id="none"),
    ],
)
def test_the_error_names_its_status_and_request_id(
    headers: dict[str, str], request_id: str | None
) -> None:
    """str(err) says the HTTP status, the server's words, and whichever request id was sent."""
    err = OPENAI.status_error(answer({"detail": "Method Not Allowed"}, 405, **headers))
    assert isinstance(err, videoclient.APIStatusError) and err.request_id == request_id
    text = str(err)
    assert text.startswith("HTTP 405: Method Not Allowed")
    assert (f"request_id={request_id}" in text) is (request_id is not None)


@pytest.mark.parametrize("key", ["detail", "error", "message"])
def test_a_body_nested_past_reason_is_no_message_not_a_crash(key: str) -> None:
    """900 levels of {"detail": {"detail": ...}}: no RecursionError, the status still speaks."""
    body = f'{{"{key}":' * 900 + '"deep"' + "}" * 900
    err = OPENAI.status_error(answer(body.encode(), 400))
    assert err.message == "HTTP 400 with no error message"


def test_gateways_wrapping_gateways_are_unwrapped() -> None:
    """An upstream error re-wrapped six times by LiteLLM-like gateways still gives its words."""
    message = "the upstream's words"
    for _ in range(6):
        message = "litellm.APIError: " + json.dumps({"error": {"message": message}})
    assert read_error({"error": {"message": message}}).message == "the upstream's words"
