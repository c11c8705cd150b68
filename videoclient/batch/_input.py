"""Batch input: requests read from JSON Lines or CSV, their fingerprints and output names.

Pure: the standard library and attrs only. Everything wrong with an input is reported here,
with its line number, before a batch sends anything.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "FIELDS",
    "BatchInputError",
    "BatchRequest",
    "InputProblem",
    "coerce_request",
    "output_names",
    "read_lines",
    "read_requests",
]

#: The ``fit`` modes a line may ask for.
FITS: tuple[str, ...] = ("contain", "cover", "stretch")

#: The fields a batch line may have (JSON keys, CSV columns).
FIELDS: tuple[str, ...] = (
    "prompt",
    "model",
    "seconds",
    "size",
    "input_reference",
    "fit",
    "name",
    "extra_body",
    "provider",
)

#: The providers a line may name.
PROVIDERS: tuple[str, ...] = ("openai", "runway", "vertex")


@attrs.frozen
class InputProblem:
    """One thing wrong with one line of a batch.

    Attributes:
        where: ``FILE:LINE`` (or ``request N`` for requests given in code).
        reason: What is wrong, in the words of the check that found it.
        field: The field it is about, when known (``size``, ``input_reference``, ...).

    .. versionadded:: 0.1.0
    """

    where: str
    reason: str
    field: str | None = None

    @property
    def line(self) -> int | None:
        """The line number in ``where``, if it has one."""
        tail = self.where.rpartition(":")[2].rpartition(" ")[2]
        return int(tail) if tail.isdigit() else None

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class BatchInputError(ValueError):
    """Lines of a batch that cannot be sent: every one found, before anything was sent.

    Attributes:
        problems: Each bad line's :class:`InputProblem`, in input order.

    .. versionadded:: 0.1.0
    """

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            text = str(self.problems[0])
        else:
            lines = "".join(f"\n  {p}" for p in self.problems)
            text = f"{len(self.problems)} bad lines; nothing was sent:{lines}"
        super().__init__(text)


def _bad(where: str, reason: str, field: str | None = None) -> BatchInputError:
    return BatchInputError([InputProblem(where, reason, field)])


def _opt_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


@attrs.frozen(kw_only=True)
class BatchRequest:
    """One line of a batch: a create's arguments and, optionally, the output file's name.

    Attributes:
        prompt: What to generate.
        model, seconds, size: As for ``client.videos.create``; None leaves them to the server.
        input_reference: A path to an image, or a reference object (``{"image_url": ...}``).
        fit: Resize an ``input_reference`` file to ``size``: ``"contain"``, ``"cover"`` or
            ``"stretch"`` (as for ``client.videos.create``).
        name: The output file's name inside the batch's output directory (``.mp4`` added
            when it has no suffix); by default ``<line>-<words of the prompt>.mp4``.
        extra_body: More fields for the create's body.
        provider: Which API makes this line's video (``"openai"``, ``"runway"``,
            ``"vertex"``); None: the batch's client. ``run_batch(clients=...)`` supplies a
            client for each provider named.

    .. versionadded:: 0.1.0
    """

    prompt: str
    model: str | None = attrs.field(default=None, converter=_opt_str)
    seconds: int | str | None = None
    size: str | None = attrs.field(default=None, converter=_opt_str)
    input_reference: str | Mapping[str, Any] | None = None
    fit: str | None = attrs.field(default=None, converter=_opt_str)
    name: str | None = attrs.field(default=None, converter=_opt_str)
    extra_body: Mapping[str, Any] | None = None
    provider: str | None = attrs.field(default=None, converter=_opt_str)
    #: Where the request came from (``prompts.jsonl:3``), for messages; not part of it.
    where: str | None = attrs.field(default=None, eq=False, repr=False)

    def create_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``client.videos.create`` (options excluded)."""
        kwargs: dict[str, Any] = {"prompt": self.prompt}
        for field in ("model", "seconds", "size", "input_reference", "fit"):
            value = getattr(self, field)
            if value is not None:
                kwargs[field] = value
        if self.extra_body:
            kwargs["extra_body"] = dict(self.extra_body)
        return kwargs

    def canonical(self) -> str:
        """The request as canonical JSON: equal requests give equal text."""
        data = {f: getattr(self, f) for f in FIELDS if getattr(self, f) is not None}
        if isinstance(data.get("seconds"), int):
            data["seconds"] = str(data["seconds"])  # 4 and "4" are the same request
        return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)

    def fingerprint(self) -> str:
        """A short stable hash of :meth:`canonical`."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:24]


def coerce_request(item: BatchRequest | Mapping[str, Any] | str, *, where: str) -> BatchRequest:
    """A :class:`BatchRequest` from itself, a mapping of :data:`FIELDS`, or a bare prompt.

    Raises:
        BatchInputError: Unknown fields, a missing or empty prompt, or a bad value (a
            ``ValueError``).
        TypeError: Something that is none of the accepted kinds.
    """
    if isinstance(item, BatchRequest):
        request = item
    elif isinstance(item, str):
        request = BatchRequest(prompt=item, where=where)
    elif isinstance(item, Mapping):
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            raise _bad(
                where,
                f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}",
                unknown[0],
            )
        extra = item.get("extra_body")
        if extra is not None and not isinstance(extra, Mapping):
            raise _bad(where, "extra_body must be an object", "extra_body")
        ref = item.get("input_reference")
        if ref is not None and not isinstance(ref, (str, Mapping)):
            raise _bad(where, "input_reference must be a path or an object", "input_reference")
        seconds = item.get("seconds")
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, (int, str))
        ):
            raise _bad(where, "seconds must be an integer or a string", "seconds")
        request = BatchRequest(
            prompt=item.get("prompt"),  # type: ignore[arg-type] # checked below
            model=item.get("model"),
            seconds=seconds if seconds != "" else None,
            size=item.get("size"),
            input_reference=ref if ref != "" else None,
            fit=item.get("fit"),
            name=item.get("name"),
            extra_body=extra,
            provider=item.get("provider"),
            where=where,
        )
    else:
        raise TypeError(f"{where}: expected a BatchRequest, a mapping or a prompt string")
    if request.where is None:
        request = attrs.evolve(request, where=where)
    if not isinstance(request.prompt, str) or not request.prompt.strip():
        raise _bad(where, "a non-empty prompt is required", "prompt")
    if request.name is not None:
        _check_name(request.name, where)
    if request.fit is not None and request.fit not in FITS:
        raise _bad(where, f"fit must be one of {', '.join(FITS)}", "fit")
    if request.provider is not None and request.provider not in PROVIDERS:
        raise _bad(where, f"provider must be one of {', '.join(PROVIDERS)}", "provider")
    return request


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_name(name: str, where: str) -> None:
    parts = Path(name).parts
    if Path(name).is_absolute() or ".." in parts or not parts or name.endswith(("/", "\\")):
        raise _bad(where, "name must be a relative file name inside the output directory", "name")
    if _CONTROL.search(name):
        raise _bad(where, "name must not contain control characters", "name")


def _resolve_reference(request: BatchRequest, base: Path) -> BatchRequest:
    ref = request.input_reference
    if isinstance(ref, str) and not Path(ref).is_absolute():
        return attrs.evolve(request, input_reference=str(base / ref))
    return request


def _parse_jsonl(
    text: str, source: str
) -> tuple[list[tuple[int, BatchRequest]], list[InputProblem]]:
    found: list[tuple[int, BatchRequest]] = []
    problems: list[InputProblem] = []
    # Only "\n" ends a line: JSON may hold U+2028, U+0085 and others unescaped.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        where = f"{source}:{number}"
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(InputProblem(where, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(item, (dict, str)):
            problems.append(
                InputProblem(where, "each line must be a JSON object or a prompt string")
            )
            continue
        try:
            found.append((number, coerce_request(item, where=where)))
        except BatchInputError as exc:
            problems.extend(exc.problems)
    return found, problems


def _parse_csv(text: str, source: str) -> tuple[list[tuple[int, BatchRequest]], list[InputProblem]]:
    # strict: a stray quote is an error here, not a field swallowing the rows after it
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    read_to = [0]  # the last line of the last complete row
    problems: list[InputProblem] = []
    try:
        found = _read_csv_rows(reader, source, read_to, problems)
    except csv.Error as exc:
        where = f"{source}:{read_to[0] + 1}"
        problems.append(InputProblem(where, f"malformed CSV in the row starting here ({exc})"))
        raise BatchInputError(problems) from None
    return found, problems


def _read_csv_rows(
    reader: csv.DictReader[str], source: str, read_to: list[int], problems: list[InputProblem]
) -> list[tuple[int, BatchRequest]]:
    columns = [c.strip() for c in (reader.fieldnames or [])]
    known = FIELDS[:-1]  # every field but extra_body
    if "prompt" not in columns:
        raise _bad(source, "the first row must name the columns, including 'prompt'")
    unknown = sorted(set(columns) - set(known))
    if unknown:
        reason = f"unknown column(s) {', '.join(unknown)}; known: {', '.join(known)}"
        raise _bad(source, reason, unknown[0])
    read_to[0] = reader.line_num
    found: list[tuple[int, BatchRequest]] = []
    for row in reader:
        number = reader.line_num
        read_to[0] = number
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue
        if None in row:
            problems.append(InputProblem(f"{source}:{number}", "more cells than columns"))
            continue
        cleaned = {k: v for k, v in values.items() if v != ""}
        try:
            found.append((number, coerce_request(cleaned, where=f"{source}:{number}")))
        except BatchInputError as exc:
            problems.extend(exc.problems)
    return found


def read_requests(path: str | os.PathLike[str]) -> list[BatchRequest]:
    """Read a batch from a ``.jsonl`` (one JSON object or string per line) or ``.csv`` file.

    JSON Lines: each line is an object with :data:`FIELDS` (``{"prompt": "...", "seconds": 4,
    "name": "boat"}``) or a bare JSON string (a prompt). CSV: a header row naming the columns
    (``prompt`` required). Blank lines are skipped. A relative ``input_reference`` path is
    taken relative to the batch file's directory.

    Args:
        path: The file; its suffix picks the format (``.csv``, anything else is JSON Lines).

    Returns:
        The requests in file order.

    Raises:
        BatchInputError: Malformed lines (a ``ValueError``): every one, each naming the
            file and line number.
        OSError: The file cannot be read.
    """
    requests, problems = read_lines(path)
    if problems:
        raise BatchInputError(problems)
    return requests


def read_lines(path: str | os.PathLike[str]) -> tuple[list[BatchRequest], list[InputProblem]]:
    """:func:`read_requests` that returns the good lines and the problems of the bad ones.

    A problem with the whole file (its header row, a CSV quote that never closes) leaves
    no good lines.
    """
    file = Path(path)
    text = file.read_text(encoding="utf-8-sig")
    source = file.name
    parse = _parse_csv if file.suffix.lower() == ".csv" else _parse_jsonl
    try:
        parsed, problems = parse(text, source)
    except BatchInputError as exc:
        return [], list(exc.problems)
    base = file.parent
    return [_resolve_reference(request, base) for _, request in parsed], problems


_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(prompt: str, words: int = 6) -> str:
    cleaned = _SLUG.sub(" ", prompt.lower()).split()
    return "-".join(cleaned[:words])[:48].strip("-") or "video"


def output_names(requests: Iterable[BatchRequest]) -> list[str]:
    """The output file name of each request: its ``name`` or ``<line>-<slug>.mp4``.

    Raises:
        ValueError: Two requests would write the same file.
    """
    items = list(requests)
    width = max(4, len(str(len(items))))
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, request in enumerate(items, start=1):
        if request.name is not None:
            name = request.name if Path(request.name).suffix else request.name + ".mp4"
            name = os.path.normpath(name)  # "./boat.mp4" and "boat.mp4" are one file
        else:
            name = f"{index:0{width}d}-{_slug(request.prompt)}.mp4"
        key = same_file_key(name)
        if key in seen:
            raise ValueError(f"requests {seen[key]} and {index} would both write {name}")
        seen[key] = index
        names.append(name)
    return names


def same_file_key(name: str) -> str:
    """What two output names must share to be the same file on some file system.

    Names are compared normalised and case-folded: on macOS and Windows ``Boat.mp4`` and
    ``boat.mp4`` are one file.
    """
    return os.path.normpath(name).casefold()
