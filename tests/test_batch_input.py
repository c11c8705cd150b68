"""Batch input: JSON Lines and CSV parsing, fingerprints and output names (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from videoclient.batch import AdaptiveConcurrency, BatchRequest, read_requests
from videoclient.batch._input import coerce_request, output_names


def test_jsonl_objects_and_bare_prompts(tmp_path: Path) -> None:
    """JSON Lines take objects or bare strings; blank lines are skipped."""
    f = tmp_path / "p.jsonl"
    f.write_text('{"prompt": "a boat", "seconds": 4, "size": "64x64", "name": "boat"}\n\n"a cat"\n')
    a, b = read_requests(f)
    assert a == BatchRequest(prompt="a boat", seconds=4, size="64x64", name="boat")
    assert b == BatchRequest(prompt="a cat")
    assert a.create_arguments() == {"prompt": "a boat", "seconds": 4, "size": "64x64"}


def test_csv_with_header(tmp_path: Path) -> None:
    """CSV takes a header row; empty cells are left to the server."""
    f = tmp_path / "p.csv"
    f.write_text('prompt,seconds,size,model\na boat,4,64x64,\n"a cat, sleeping",,,sora-2\n')
    a, b = read_requests(f)
    assert a.create_arguments() == {"prompt": "a boat", "seconds": "4", "size": "64x64"}
    assert b.create_arguments() == {"prompt": "a cat, sleeping", "model": "sora-2"}


def test_relative_reference_is_taken_from_the_batch_file_directory(tmp_path: Path) -> None:
    """A relative input_reference path is relative to the batch file, not the cwd."""
    f = tmp_path / "p.jsonl"
    f.write_text(
        '{"prompt": "x", "input_reference": "img.png"}\n{"prompt": "y", "input_reference": {"image_url": "https://e/x.png"}}\n'
    )
    a, b = read_requests(f)
    assert a.input_reference == str(tmp_path / "img.png")
    assert b.input_reference == {"image_url": "https://e/x.png"}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param(
            "p.jsonl",
            '{"prompt": "ok"}\n{"promt": "typo"}\n',
            r"p.jsonl:2: unknown field\(s\) promt",
            id="unknown-field",
        ),
        pytest.param("p.jsonl", "{nope\n", r"p.jsonl:1: not valid JSON", id="bad-json"),
        pytest.param("p.jsonl", "[1, 2]\n", r"p.jsonl:1: each line must be", id="array-line"),
        pytest.param(
            "p.jsonl", '{"seconds": 4}\n', r"p.jsonl:1: a non-empty prompt", id="no-prompt"
        ),
        pytest.param("p.jsonl", '{"prompt": "  "}\n', r"non-empty prompt", id="blank-prompt"),
        pytest.param(
            "p.jsonl", '{"prompt": "x", "seconds": true}\n', r"seconds must be", id="bool-seconds"
        ),
        pytest.param(
            "p.jsonl",
            '{"prompt": "x", "name": "../up.mp4"}\n',
            r"relative file name",
            id="escaping-name",
        ),
        pytest.param(
            "p.jsonl",
            '{"prompt": "x", "name": "/abs.mp4"}\n',
            r"relative file name",
            id="absolute-name",
        ),
        pytest.param(
            "p.jsonl", '{"prompt": "x", "extra_body": 3}\n', r"extra_body must be", id="bad-extra"
        ),
        pytest.param(
            "p.jsonl",
            '{"prompt": "x", "input_reference": 3}\n',
            r"input_reference must be",
            id="bad-ref",
        ),
        pytest.param("p.csv", "seconds\n4\n", r"including 'prompt'", id="csv-without-prompt"),
        pytest.param(
            "p.csv",
            "prompt,colour\nx,red\n",
            r"unknown column\(s\) colour",
            id="csv-unknown-column",
        ),
        pytest.param(
            "p.csv",
            "prompt\nx,extra\n",
            r"p.csv:2: more cells than columns",
            id="csv-too-many-cells",
        ),
        pytest.param(
            "p.csv",
            'prompt,seconds\nfirst,1\n"second, with a stray quote,1\nthird,1\nfourth,1\n',
            r"p.csv:3: malformed CSV",
            id="csv-stray-quote",
        ),
        pytest.param(
            "p.csv",
            'prompt,seconds\n"a "quoted" word",1\n',
            r"p.csv:2: malformed CSV",
            id="csv-quote-inside-quoted-field",
        ),
        pytest.param(
            "p.jsonl",
            '{"prompt": "x", "name": "a\\u0000b"}\n',
            r"p.jsonl:1: name must not contain control characters",
            id="nul-in-name",
        ),
    ],
)
def test_malformed_input_names_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    """Every malformed line is a ValueError naming the file and line, before anything is sent."""
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_requests(f)


def test_coerce_rejects_other_types() -> None:
    """Something that is neither a request, a mapping nor a prompt is a TypeError."""
    with pytest.raises(TypeError, match="request 1"):
        coerce_request(42, where="request 1")  # type: ignore[arg-type]


def test_fingerprint_is_stable_and_sensitive() -> None:
    """Equal requests share a fingerprint (4 and "4" too); any change alters it."""
    a = BatchRequest(prompt="boat", seconds=4)
    assert a.fingerprint() == BatchRequest(prompt="boat", seconds="4").fingerprint()
    assert a.fingerprint() != BatchRequest(prompt="boat", seconds=8).fingerprint()
    assert a.fingerprint() != BatchRequest(prompt="boat", seconds=4, name="x").fingerprint()


def test_output_names_default_and_given() -> None:
    """Names default to <line>-<prompt words>.mp4; a given name gains .mp4 when it has no suffix."""
    names = output_names(
        [
            BatchRequest(prompt="A Paper boat, on a rainy street at night!"),
            BatchRequest(prompt="x", name="cat"),
            BatchRequest(prompt="y", name="sub/dog.mov"),
            BatchRequest(prompt="!!!"),
        ]
    )
    assert names == ["0001-a-paper-boat-on-a-rainy.mp4", "cat.mp4", "sub/dog.mov", "0004-video.mp4"]


def test_output_name_collision_is_refused() -> None:
    """Two lines writing one file is a ValueError."""
    with pytest.raises(ValueError, match=r"requests 1 and 2 would both write cat\.mp4"):
        output_names(
            [BatchRequest(prompt="x", name="cat"), BatchRequest(prompt="y", name="cat.mp4")]
        )


@pytest.mark.parametrize(
    ("first", "second"),
    [("boat", "./boat.mp4"), ("sub//boat", "sub/./boat.mp4"), ("Boat", "boat.mp4")],
)
def test_names_of_one_file_spelt_differently_collide(first: str, second: str) -> None:
    """Names are compared normalised and case-folded (one file on macOS and Windows)."""
    with pytest.raises(ValueError, match="requests 1 and 2 would both write"):
        output_names([BatchRequest(prompt="x", name=first), BatchRequest(prompt="y", name=second)])
    assert output_names([BatchRequest(prompt="x", name="./sub//boat")]) == ["sub/boat.mp4"]


def test_jsonl_lines_end_only_at_newlines(tmp_path: Path) -> None:
    """U+2028, U+2029 and U+0085 may stand unescaped in JSON: they do not end a line."""
    f = tmp_path / "p.jsonl"
    prompt = "a boat\u2028at night\u2029in rain\x85"
    lines = [json.dumps({"prompt": prompt}, ensure_ascii=False), "{broken"]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"p\.jsonl:2: not valid JSON"):
        read_requests(f)
    f.write_text(lines[0] + "\n", encoding="utf-8")
    assert [r.prompt for r in read_requests(f)] == [prompt]


def test_aimd_halves_once_per_crowd_and_recovers() -> None:
    """A 429 halves the limit once per epoch; calm successes add one back at a time."""
    c = AdaptiveConcurrency(8)
    epoch = c.epoch
    assert c.on_rate_limited(epoch) == 4
    assert c.on_rate_limited(epoch) == 4  # same crowd: ignored
    assert c.on_rate_limited(c.epoch) == 2
    assert c.on_rate_limited(c.epoch) == 1
    assert c.on_rate_limited(c.epoch) == 1  # never below one
    assert c.on_success() == 2  # one calm success at limit 1
    assert [c.on_success() for _ in range(2)] == [2, 3]
    for _ in range(100):
        c.on_success()
    assert c.limit == 8  # never above the maximum


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_aimd_rejects_bad_concurrency(bad: object) -> None:
    """Concurrency must be a positive int."""
    with pytest.raises(ValueError, match="concurrency"):
        AdaptiveConcurrency(bad)  # type: ignore[arg-type]


def test_fit_is_passed_to_create_and_checked(tmp_path: Path) -> None:
    """A line's fit goes to create; an unknown fit mode is refused with its line."""
    f = tmp_path / "p.csv"
    f.write_text("prompt,size,input_reference,fit\nx,64x64,img.png,cover\n")
    (request,) = read_requests(f)
    assert request.create_arguments()["fit"] == "cover"
    f.write_text("prompt,fit\nx,squash\n")
    with pytest.raises(ValueError, match=r"p\.csv:2: fit must be one of contain, cover, stretch"):
        read_requests(f)
