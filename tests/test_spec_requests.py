"""Every request the client builds, as it arrives over a real socket, validates against the spec."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from videoclient import AsyncVideoClient

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def video_json(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "video_1",
        "object": "video",
        "model": "sora-2",
        "status": "queued",
        "progress": 0,
        "created_at": 1,
        "completed_at": None,
        "expires_at": None,
        "prompt": "p",
        "size": "720x1280",
        "seconds": "4",
        "remixed_from_video_id": None,
        "error": None,
    }
    body.update(over)
    return body


def schema_validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for a schema fragment that may $ref the spec's components."""
    return Draft202012Validator({**schema, "components": spec["components"]})


def match_operation(
    spec: dict[str, Any], method: str, path: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Find the spec operation for a concrete path below /v1, returning it and its path params."""
    assert path.startswith("/v1/"), path
    rel = path[len("/v1") :]
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        m = re.match(pattern, rel)
        if m and method.lower() in item:
            # A literal route beats a templated one (/videos/characters vs /videos/{video_id}).
            if "{" in template and any(
                rel == t for t in spec["paths"] if method.lower() in spec["paths"][t]
            ):
                continue
            return item[method.lower()], m.groupdict()
    raise AssertionError(f"{method} {path} is not an operation of the spec")


def parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """Split a multipart body into text fields and file parts (filename, content type, bytes)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    assert msg.is_multipart()
    texts: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if filename is not None:
            files[name] = (filename, part.get_content_type(), payload)
        else:
            texts[name] = payload.decode()
    return texts, files


def validate_request(spec: dict[str, Any], rec: dict[str, Any]) -> None:
    """Assert one recorded request conforms to its operation in the spec."""
    op, _ = match_operation(spec, rec["method"], rec["path"])
    declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    for name, value in rec["query"]:
        assert name in declared, f"query parameter {name!r} is not in the spec"
        schema = declared[name]["schema"]
        typed: Any = int(value) if schema.get("type") == "integer" else value
        schema_validator(spec, schema).validate(typed)
    body = op.get("requestBody")
    if body is None:
        assert rec["body"] == b""
        return
    ctype = rec["content_type"]
    assert ctype in body["content"], f"{ctype} is not a declared request content type"
    schema = body["content"][ctype]["schema"]
    if ctype == "application/json":
        schema_validator(spec, schema).validate(json.loads(rec["body"]))
        return
    texts, files = parse_multipart(rec["headers"]["Content-Type"], rec["body"])
    resolved = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    props = resolved["properties"]
    for name in resolved.get("required", []):
        assert name in texts or name in files, f"required field {name!r} missing"
    for name, (filename, file_type, data) in files.items():
        prop = json.dumps(props[name])
        assert '"format": "binary"' in prop, (
            f"{name} sent as a file but the spec has no binary form"
        )
        assert filename and file_type and data
    # Text fields are validated as the spec's non-binary form of the property.
    doc = {k: v for k, v in texts.items()}
    text_schema = {
        "type": "object",
        "properties": {k: props[k] for k in texts},
        "additionalProperties": False,
    }
    schema_validator(spec, text_schema).validate(doc)


CASES = [
    pytest.param(
        lambda v: v.create(prompt="a cat", model="sora-2", seconds=8, size="1280x720"),
        "POST",
        "/v1/videos",
        video_json(),
        id="create-json",
    ),
    pytest.param(
        lambda v: v.create(prompt="a cat", seconds="12", input_reference=PNG_1x1),
        "POST",
        "/v1/videos",
        video_json(),
        id="create-multipart-bytes",
    ),
    pytest.param(
        lambda v: v.create(prompt="a cat", input_reference=("ref.png", io.BytesIO(PNG_1x1))),
        "POST",
        "/v1/videos",
        video_json(),
        id="create-multipart-fileobj",
    ),
    pytest.param(
        lambda v: v.create(
            prompt="a cat", input_reference={"image_url": "https://example.test/a.png"}
        ),
        "POST",
        "/v1/videos",
        video_json(),
        id="create-image-url",
    ),
    pytest.param(
        lambda v: v.create(prompt="a cat", input_reference={"file_id": "file-123"}),
        "POST",
        "/v1/videos",
        video_json(),
        id="create-file-id",
    ),
    pytest.param(
        lambda v: v.retrieve("video_1"), "GET", "/v1/videos/video_1", video_json(), id="retrieve"
    ),
    pytest.param(
        lambda v: v.list_page(limit=100, order="asc", after="video_0"),
        "GET",
        "/v1/videos",
        {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False},
        id="list",
    ),
    pytest.param(
        lambda v: v.delete("video_1"),
        "DELETE",
        "/v1/videos/video_1",
        {"object": "video.deleted", "deleted": True, "id": "video_1"},
        id="delete",
    ),
    pytest.param(
        lambda v: v.remix("video_1", prompt="again"),
        "POST",
        "/v1/videos/video_1/remix",
        video_json(),
        id="remix",
    ),
    pytest.param(
        lambda v: v.edit(video={"id": "video_1"}, prompt="bluer"),
        "POST",
        "/v1/videos/edits",
        video_json(),
        id="edit-json",
    ),
    pytest.param(
        lambda v: v.edit(video=MP4_HEAD, prompt="bluer"),
        "POST",
        "/v1/videos/edits",
        video_json(),
        id="edit-multipart",
    ),
    pytest.param(
        lambda v: v.extend(video={"id": "video_1"}, prompt="more", seconds="4"),
        "POST",
        "/v1/videos/extensions",
        video_json(),
        id="extend-json",
    ),
    pytest.param(
        lambda v: v.extend(video=("clip.mp4", MP4_HEAD), prompt="more", seconds=8),
        "POST",
        "/v1/videos/extensions",
        video_json(),
        id="extend-multipart",
    ),
    pytest.param(
        lambda v: v.create_character(name="Bob", video=MP4_HEAD),
        "POST",
        "/v1/videos/characters",
        {"id": "char_1", "name": "Bob", "created_at": 1},
        id="create-character",
    ),
    pytest.param(
        lambda v: v.get_character("char_1"),
        "GET",
        "/v1/videos/characters/char_1",
        {"id": "char_1", "name": "Bob", "created_at": 1},
        id="get-character",
    ),
    pytest.param(
        lambda v: v.download_content("video_1", variant="spritesheet"),
        "GET",
        "/v1/videos/video_1/content",
        b"\xff\xd8\xff",
        id="content",
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "answer"), CASES)
async def test_request_validates_against_spec(
    canned: Any, spec: dict[str, Any], call: Any, method: str, path: str, answer: Any
) -> None:
    """The request as received by a server is an operation of the spec with a valid body and query."""
    canned.answer(method, path, answer)
    async with AsyncVideoClient("sk-test", base_url=canned.base_url) as client:
        await call(client.videos)
    (rec,) = canned.requests
    validate_request(spec, rec)
    if method == "POST":
        assert rec["headers"]["Idempotency-Key"]
    if path.endswith("/content"):
        op, _ = match_operation(spec, method, path)
        accept = rec["headers"]["Accept"]
        assert accept == "*/*" or accept in op["responses"]["200"]["content"]


def test_validator_rejects_an_invalid_body(spec: dict[str, Any]) -> None:
    """The checker itself fails on a body the spec forbids (so the table above can fail)."""
    rec = {
        "method": "POST",
        "path": "/v1/videos",
        "query": [],
        "headers": {},
        "content_type": "application/json",
        "body": json.dumps({"prompt": "", "seconds": 8}).encode(),
    }
    with pytest.raises(Exception, match=r"non-empty|is not of type|is not one of"):
        validate_request(spec, rec)
