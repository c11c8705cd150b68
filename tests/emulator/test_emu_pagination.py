"""List pagination over HTTP: any mix of limit, order and starting cursor walks each job once."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread

from .conftest import FakeClock
from .test_emu_thread import fetch

JOBS = 23


@pytest.fixture(scope="module")
def listed() -> Iterator[tuple[EmulatorThread, list[str]]]:
    """A threaded emulator holding 23 jobs (ids oldest first), a few of the first ones deleted."""
    clock = FakeClock()
    with Emulator(EmulatorConfig(render_seconds=1), clock=clock).in_thread() as emu:
        ids = []
        for i in range(JOBS):
            status, video = fetch(emu.base_url + "/videos", "POST", {"prompt": f"v{i}"})
            assert status == 200
            ids.append(video["id"])
        clock.advance(5)
        for gone in (ids[3], ids[4], ids[17]):
            assert fetch(f"{emu.base_url}/videos/{gone}", "DELETE")[0] == 200
        yield emu, ids


def page(emu: EmulatorThread, **query: Any) -> dict[str, Any]:
    status, body = fetch(emu.base_url + "/videos?" + urllib.parse.urlencode(query))
    assert status == 200, body
    assert isinstance(body, dict)
    return body


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.sampled_from(["asc", "desc", None]),
    limits=st.lists(st.integers(1, 100), min_size=1, max_size=6),
    start=st.integers(-1, JOBS - 1),
)
def test_any_walk_visits_every_later_job_exactly_once(
    listed: tuple[EmulatorThread, list[str]], order: str | None, limits: list[int], start: int
) -> None:
    """Following last_id with any limits, in either order (default desc), from any cursor
    (deleted ones included), lists each job after the cursor exactly once, in order."""
    emu, ids = listed
    live = [i for n, i in enumerate(ids) if n not in (3, 4, 17)]
    ascending = order == "asc"
    after = ids[start] if start >= 0 else None
    expected = live if ascending else live[::-1]
    if after is not None:
        pos = ids.index(after)
        ahead = set(ids[pos + 1 :] if ascending else ids[:pos])
        expected = [i for i in expected if i in ahead]
    walked: list[str] = []
    for n in range(100):
        query: dict[str, Any] = {"limit": limits[n % len(limits)]}
        if order:
            query["order"] = order
        if after:
            query["after"] = after
        body = page(emu, **query)
        got = [v["id"] for v in body["data"]]
        walked += got
        if got:
            assert (body["first_id"], body["last_id"]) == (got[0], got[-1])
        if not body["has_more"]:
            break
        after = body["last_id"]
    assert walked == expected
