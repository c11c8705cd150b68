"""The sync client mirrors the async one: every public async member (found by introspection)
has a sync twin with the same parameters, defaults and docstring, and mypy sees sync types."""

from __future__ import annotations

import ast
import inspect
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from videoclient import AsyncPager, AsyncVideoClient, AsyncVideos
from videoclient._client.client import AsyncVideosWithRawResponse
from videoclient._client.transfers import ContentStream
from videoclient._sync.client import (
    ContentStreamSync,
    Pager,
    VideoClient,
    Videos,
    VideosWithRawResponse,
)

ROOT = Path(__file__).resolve().parents[1]

#: Async protocol methods and the sync ones that mirror them.
DUNDERS = {"__aiter__": "__iter__", "__aenter__": "__enter__", "__aexit__": "__exit__"}

#: Twins whose docstring says something else on purpose, and why.
OWN_DOCSTRINGS = {
    ("VideoClient", "close"): "closing also stops the client's event loop thread",
}

PAIRS = [
    pytest.param(AsyncVideoClient, VideoClient, id="client"),
    pytest.param(AsyncVideos, Videos, id="videos"),
    pytest.param(AsyncPager, Pager, id="pager"),
    pytest.param(ContentStream, ContentStreamSync, id="content-stream"),
]


def instance_attributes(cls: type) -> set[str]:
    """Public names assigned as ``self.<name> = ...`` in the methods of ``cls`` and its bases."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("videoclient"):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                    and not target.attr.startswith("_")
                ):
                    names.add(target.attr)
    return names


def public_surface(cls: type) -> set[str]:
    """Public class members, async protocol methods, and public instance attributes."""
    names = {n for n in dir(cls) if not n.startswith("_")}
    names |= {n for n in DUNDERS if inspect.getattr_static(cls, n, None) is not None}
    return names | instance_attributes(cls)


def parameters(fn: Any) -> list[tuple[str, Any, Any, Any]]:
    """Each parameter's name, kind, default and annotation (not the return type)."""
    return [
        (p.name, p.kind, p.default, p.annotation) for p in inspect.signature(fn).parameters.values()
    ]


def drift(async_cls: type, sync_cls: type) -> list[str]:
    """Every way ``sync_cls`` fails to mirror ``async_cls`` (empty when it mirrors it)."""
    problems: list[str] = []
    sync_names = public_surface(sync_cls) | {
        n for n in DUNDERS.values() if inspect.getattr_static(sync_cls, n, None) is not None
    }
    for name in sorted(public_surface(async_cls)):
        twin_name = DUNDERS.get(name, name)
        if twin_name not in sync_names:
            problems.append(f"{sync_cls.__name__} has no {twin_name} (mirroring {name})")
            continue
        a = inspect.getattr_static(async_cls, name, None)
        s = inspect.getattr_static(sync_cls, twin_name, None)
        if a is None:  # an instance attribute: present is all we ask
            continue
        if isinstance(a, property):
            if not isinstance(s, property):
                problems.append(f"{sync_cls.__name__}.{name} is not a property")
            elif a.__doc__ and a.__doc__ != s.__doc__:
                problems.append(f"{sync_cls.__name__}.{name} has another docstring")
            continue
        a_fn, s_fn = getattr(async_cls, name), getattr(sync_cls, twin_name)
        if name in DUNDERS:
            continue  # protocol methods: presence is the contract
        if parameters(a_fn) != parameters(s_fn):
            problems.append(
                f"{sync_cls.__name__}.{name}{inspect.signature(s_fn)} != "
                f"{async_cls.__name__}.{name}{inspect.signature(a_fn)}"
            )
        own = (sync_cls.__name__, name) in OWN_DOCSTRINGS
        if a_fn.__doc__ and a_fn.__doc__ != s_fn.__doc__ and not own:
            problems.append(f"{sync_cls.__name__}.{name} has another docstring")
    return problems


@pytest.mark.parametrize(("async_cls", "sync_cls"), PAIRS)
def test_every_async_member_has_a_sync_twin(async_cls: type, sync_cls: type) -> None:
    """Each public async method/property has a same-named sync twin with equal parameters and docs."""
    assert drift(async_cls, sync_cls) == []


def test_raw_response_methods_mirror_the_async_ones() -> None:
    """Every with_raw_response method of the async client has a sync twin with its parameters."""
    names = instance_attributes(AsyncVideosWithRawResponse)
    assert names, "no raw methods found: the introspection broke"
    for name in sorted(names):
        twin = inspect.getattr_static(VideosWithRawResponse, name, None)
        assert twin is not None, f"VideosWithRawResponse has no {name}"
        assert parameters(getattr(AsyncVideos, name)) == parameters(twin), name
        assert twin.__doc__ == getattr(AsyncVideos, name).__doc__, name


def test_constructors_mirror_the_async_ones() -> None:
    """VideoClient(...), azure() and from_config() take exactly the async client's parameters."""
    assert parameters(VideoClient) == parameters(AsyncVideoClient)
    for name in ("azure", "from_config"):
        assert parameters(getattr(VideoClient, name)) == parameters(getattr(AsyncVideoClient, name))
        assert getattr(VideoClient, name).__doc__ == getattr(AsyncVideoClient, name).__doc__


def test_the_drift_check_notices_a_missing_or_different_twin() -> None:
    """The check itself reports a method with no twin and a twin with other defaults."""

    class AsyncThing:
        async def fetch(self, video_id: str, *, variant: str = "video") -> bytes:
            """Fetch."""
            return b""

        async def extra(self) -> None:
            """Extra."""

    class Thing:
        def fetch(self, video_id: str, *, variant: str = "thumbnail") -> bytes:
            """Fetch."""
            return b""

    problems = drift(AsyncThing, Thing)
    assert any("has no extra" in p for p in problems)
    assert any("fetch" in p and "!=" in p for p in problems)


def test_the_sync_methods_show_the_async_signature_and_docs() -> None:
    """help() and inspect show the real parameters, docstring and the sync class as owner."""
    method = Videos.download
    assert method.__qualname__ == "Videos.download"
    assert method.__doc__ == AsyncVideos.download.__doc__
    assert "on_progress" in inspect.signature(method).parameters
    assert inspect.signature(VideoClient.azure).parameters.keys() == (
        inspect.signature(AsyncVideoClient.azure).parameters.keys()
    )


def test_mypy_sees_sync_return_types() -> None:
    """mypy --strict accepts tests/typing/check_sync_types.py: results, not coroutines."""
    api = pytest.importorskip("mypy.api")
    cache = Path(tempfile.gettempdir()) / "videoclient-typing-mypy-cache"
    out, err, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--strict",
            "--warn-unused-ignores",
            "--cache-dir",
            str(cache),
            str(ROOT / "tests" / "typing" / "check_sync_types.py"),
        ]
    )
    assert status == 0, out + err
