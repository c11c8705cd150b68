"""The pure resume logic (videoclient._sansio.ranges): canned headers in, decisions out, no loop."""

from __future__ import annotations

import pytest

from videoclient import ContentIntegrityError
from videoclient._sansio.ranges import (
    ContentMeta,
    expected_remaining,
    parse_content_range,
    plan_response,
    resume_headers,
    same_asset,
    strong_etag,
    strong_last_modified,
)

ETAG = '"v1"'
KNOWN = ContentMeta(total=1000, etag=ETAG, content_type="video/mp4", request_id="req_1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("bytes 0-99/1000", (0, 100, 1000), id="first-hundred"),
        pytest.param("bytes 400-999/1000", (400, 1000, 1000), id="tail"),
        pytest.param("BYTES 5-5/6", (5, 6, 6), id="one-byte-any-case"),
        pytest.param("bytes 0-9/*", (0, 10, None), id="unknown-total"),
        pytest.param("bytes 10-9/100", None, id="backwards"),
        pytest.param("bytes 0-100/100", None, id="past-the-end"),
        pytest.param("bytes */100", None, id="unsatisfied-form"),
        pytest.param("items 0-1/2", None, id="other-unit"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="missing"),
    ],
)
def test_parse_content_range(value: str | None, expected: object) -> None:
    """Content-Range becomes (start, end-exclusive, total); anything malformed is None."""
    assert parse_content_range(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('"abc"', '"abc"', id="strong"),
        pytest.param(' "abc" ', '"abc"', id="padded"),
        pytest.param('W/"abc"', None, id="weak"),
        pytest.param("abc", None, id="unquoted"),
        pytest.param(None, None, id="missing"),
    ],
)
def test_only_strong_etags_pin_a_resume(value: str | None, expected: str | None) -> None:
    """If-Range needs a strong validator, so weak or malformed ETags count as none."""
    assert strong_etag(value) == expected


@pytest.mark.parametrize(
    ("offset", "meta", "expected"),
    [
        pytest.param(500, KNOWN, {"Range": "bytes=500-", "If-Range": ETAG}, id="resume"),
        pytest.param(0, KNOWN, {}, id="nothing-yet"),
        pytest.param(500, ContentMeta(1000, None, None, None), {}, id="no-etag"),
        pytest.param(500, None, {}, id="no-meta"),
    ],
)
def test_resume_headers(offset: int, meta: ContentMeta | None, expected: dict[str, str]) -> None:
    """A resume asks for the rest only when a strong ETag pins the asset."""
    assert resume_headers(offset, meta) == expected


def test_first_200_records_length_and_etag() -> None:
    """The first answer fixes the total (Content-Length) and the ETag."""
    plan = plan_response(
        200,
        {"content-length": "1000", "etag": ETAG, "content-type": "video/mp4"},
        offset=0,
        known=None,
    )
    assert not plan.restart and plan.start == 0
    assert plan.meta == ContentMeta(1000, ETAG, "video/mp4", None)


def test_a_206_continuing_at_the_offset_appends() -> None:
    """A 206 from the offset continues the read with the same total."""
    headers = {"content-range": "bytes 500-999/1000", "content-length": "500", "etag": ETAG}
    plan = plan_response(206, headers, offset=500, known=KNOWN)
    assert not plan.restart and plan.start == 500 and plan.meta.total == 1000


def test_a_200_to_a_resume_starts_over() -> None:
    """A 200 after bytes were kept means the whole asset again: restart at 0."""
    plan = plan_response(200, {"content-length": "1000", "etag": ETAG}, offset=500, known=KNOWN)
    assert plan.restart and plan.start == 0


def test_an_encoded_answer_has_no_checkable_length_or_resume() -> None:
    """With a Content-Encoding, lengths count encoded bytes: no total, no ETag to resume with."""
    headers = {"content-length": "10", "etag": ETAG, "content-encoding": "gzip"}
    plan = plan_response(200, headers, offset=0, known=None)
    assert plan.meta.total is None and plan.meta.etag is None


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        pytest.param({"content-range": "bytes 0-499/1000"}, "from byte 0", id="wrong-start"),
        pytest.param({}, "unreadable Content-Range", id="no-content-range"),
        pytest.param(
            {"content-range": "bytes 500-999/2000"}, "later answer says 2000", id="other-total"
        ),
        pytest.param(
            {"content-range": "bytes 500-999/1000", "content-length": "7"},
            "Content-Length is 7",
            id="length-disagrees",
        ),
        pytest.param(
            {"content-range": "bytes 500-999/1000", "etag": '"v2"'}, "ETag differs", id="new-etag"
        ),
    ],
)
def test_inconsistent_206_answers_are_integrity_errors(headers: dict[str, str], match: str) -> None:
    """A 206 that does not fit what is already known raises ContentIntegrityError."""
    with pytest.raises(ContentIntegrityError, match=match):
        plan_response(206, headers, offset=500, known=KNOWN)


def test_a_206_with_an_unknown_total_keeps_the_known_one() -> None:
    """``bytes a-b/*`` leaves the total from the first answer in force."""
    plan = plan_response(206, {"content-range": "bytes 500-999/*"}, offset=500, known=KNOWN)
    assert plan.meta.total == 1000 and plan.meta.etag == ETAG


@pytest.mark.parametrize(
    ("done", "expected"),
    [pytest.param(0, 1000, id="none"), pytest.param(1000, 0, id="all")],
)
def test_expected_remaining(done: int, expected: int) -> None:
    """What is still due is the total minus what arrived."""
    assert expected_remaining(KNOWN, done) == expected


def test_more_bytes_than_declared_is_an_integrity_error() -> None:
    """Receiving past the declared total is never accepted."""
    with pytest.raises(ContentIntegrityError, match="1001 bytes"):
        expected_remaining(KNOWN, 1001)


def test_unknown_total_expects_nothing_in_particular() -> None:
    """Without a declared total there is nothing to check against."""
    assert expected_remaining(ContentMeta(None, None, None, None), 5) is None


# -- no ETag: Last-Modified pins a resume, or the download starts over ----------------------

MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"
LATER = "Fri, 04 Dec 2026 20:00:00 GMT"
BY_DATE = ContentMeta(1000, None, "video/mp4", None, MODIFIED)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"last-modified": MODIFIED, "date": LATER}, MODIFIED, id="older-than-date"),
        pytest.param({"last-modified": MODIFIED, "date": MODIFIED}, None, id="same-second"),
        pytest.param({"last-modified": MODIFIED}, None, id="no-date"),
        pytest.param({"last-modified": "yesterday", "date": LATER}, None, id="unreadable"),
        pytest.param({"date": LATER}, None, id="none"),
    ],
)
def test_only_a_strong_last_modified_can_pin_a_range(
    headers: dict[str, str], expected: str | None
) -> None:
    """RFC 9110 8.8.2.2: Last-Modified is strong when at least a second older than Date."""
    assert strong_last_modified(headers) == expected


def test_without_an_etag_a_strong_last_modified_pins_the_resume() -> None:
    """The first answer's Last-Modified becomes the If-Range; none of either asks for it all."""
    plan = plan_response(
        200,
        {"content-length": "1000", "last-modified": MODIFIED, "date": LATER},
        offset=0,
        known=None,
    )
    assert plan.meta.last_modified == MODIFIED and plan.meta.etag is None
    assert resume_headers(500, plan.meta) == {"Range": "bytes=500-", "If-Range": MODIFIED}
    bare = plan_response(200, {"content-length": "1000", "date": LATER}, offset=0, known=None)
    assert resume_headers(500, bare.meta) == {}


@pytest.mark.parametrize(
    ("headers", "unverified"),
    [
        pytest.param({"last-modified": MODIFIED, "date": LATER}, False, id="same-date"),
        pytest.param(
            {"last-modified": "Thu, 03 Dec 2026 10:00:00 GMT", "date": LATER}, True, id="newer-date"
        ),
        pytest.param({"date": LATER}, True, id="no-date-repeated"),
    ],
)
def test_a_206_resumed_by_date_must_repeat_it(headers: dict[str, str], unverified: bool) -> None:
    """A gateway may drop If-Range too: a 206 without the same Last-Modified is not appended."""
    headers = {"content-range": "bytes 500-999/1000", **headers}
    plan = plan_response(206, headers, offset=500, known=BY_DATE)
    assert plan.unverified is unverified and not plan.restart


def test_a_206_of_another_date_and_length_is_unverified_not_an_error() -> None:
    """Resumed by date, a 206 of a changed (longer) asset is asked for whole; same date, it raises."""
    other = {"content-range": "bytes 500-1499/1500", "date": LATER}
    changed = {**other, "last-modified": "Thu, 03 Dec 2026 10:00:00 GMT"}
    assert plan_response(206, changed, offset=500, known=BY_DATE).unverified
    with pytest.raises(ContentIntegrityError, match="later answer says 1500"):
        plan_response(206, {**other, "last-modified": MODIFIED}, offset=500, known=BY_DATE)


def test_a_206_with_no_validator_known_is_unverified() -> None:
    """A 206 for the middle of an asset that nothing pins cannot be appended."""
    bare = ContentMeta(1000, None, "video/mp4", None)
    plan = plan_response(206, {"content-range": "bytes 500-999/1000"}, offset=500, known=bare)
    assert plan.unverified
    with_etag = plan_response(206, {"content-range": "bytes 500-999/1000"}, offset=500, known=KNOWN)
    assert not with_etag.unverified


@pytest.mark.parametrize(
    ("meta", "same"),
    [
        pytest.param(ContentMeta(1000, ETAG, None, None), True, id="same-etag"),
        pytest.param(ContentMeta(1000, '"v2"', None, None), False, id="other-etag"),
        pytest.param(ContentMeta(1000, None, None, None, MODIFIED), True, id="same-date-and-size"),
        pytest.param(ContentMeta(999, None, None, None, MODIFIED), False, id="other-size"),
        pytest.param(ContentMeta(1000, None, None, None), False, id="no-validator"),
    ],
)
def test_same_asset_needs_a_validator(meta: ContentMeta, same: bool) -> None:
    """A whole new answer is the same asset by its ETag, else by Last-Modified and length."""
    known = KNOWN if meta.etag else BY_DATE
    assert same_asset(known, meta) is same
    assert not same_asset(ContentMeta(1000, None, None, None), meta)
