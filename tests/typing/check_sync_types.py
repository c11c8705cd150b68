"""Checked by mypy, never run: the sync client's methods return values, not coroutines.

``tests/test_sync_typing.py`` runs mypy on this file; each ``assert_type`` pins a type,
and each ``# type: ignore[...]`` pins a mistake mypy must reject (``warn_unused_ignores``
turns a mistake that slips through into an error).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from typing_extensions import assert_type

from videoclient import ClientConfig, DeletedVideo, RawResponse, Video, VideoCharacter, VideoPage
from videoclient._client.generate import GeneratedVideo
from videoclient._sync.client import ContentStreamSync, Pager, VideoClient, Videos


def check_client(client: VideoClient) -> None:
    assert_type(client.videos, Videos)
    assert_type(client.config, ClientConfig)
    assert_type(client.base_url, str)
    assert_type(client.close(), None)
    with client as entered:
        assert_type(entered, VideoClient)


def check_constructors(config: ClientConfig) -> None:
    assert_type(VideoClient(), VideoClient)
    assert_type(
        VideoClient("sk-test", base_url="http://127.0.0.1:8000/v1", max_retries=0), VideoClient
    )
    assert_type(VideoClient.from_config(config), VideoClient)
    assert_type(VideoClient.azure(endpoint="https://x.openai.azure.com", api_key="k"), VideoClient)
    VideoClient(base_url=8000)  # type: ignore[arg-type]
    VideoClient(no_such_option=1)  # type: ignore[call-arg]
    VideoClient.azure(endpoint=1)  # type: ignore[arg-type]


def check_operations(videos: Videos) -> None:
    assert_type(videos.create(prompt="a kite", size="64x64", seconds=4), Video)
    assert_type(videos.retrieve("video_1"), Video)
    assert_type(videos.retrieve("video_1", timeout=5, max_retries=0), Video)
    assert_type(videos.list_page(limit=10), VideoPage)
    assert_type(videos.delete("video_1"), DeletedVideo)
    assert_type(videos.remix("video_1", prompt="again"), Video)
    assert_type(videos.edit(video={"id": "video_1"}, prompt="bluer"), Video)
    assert_type(videos.extend(video={"id": "video_1"}, prompt="on", seconds=4), Video)
    assert_type(videos.create_character(name="kite", video=b"..."), VideoCharacter)
    assert_type(videos.get_character("char_1"), VideoCharacter)
    assert_type(videos.download_content("video_1", variant="thumbnail"), bytes)
    videos.create(prompt=42)  # type: ignore[arg-type]
    videos.create()  # type: ignore[call-arg]
    videos.retrieve("video_1", no_such_option=1)  # type: ignore[call-arg]


def check_waiting(videos: Videos) -> None:
    assert_type(videos.poll("video_1", timeout=60), Video)
    assert_type(videos.create_and_poll(prompt="a kite", on_progress=print), Video)
    assert_type(videos.remix_and_poll("video_1", prompt="again"), Video)
    assert_type(videos.edit_and_poll(video={"id": "video_1"}, prompt="x"), Video)
    assert_type(videos.extend_and_poll(video={"id": "video_1"}, prompt="x", seconds=4), Video)
    assert_type(videos.as_completed(["video_1", "video_2"]), Iterator[Video])
    assert_type(videos.wait_all(["video_1", "video_2"]), list[Video])
    for done in videos.as_completed(["video_1"]):
        assert_type(done, Video)


def check_iteration(videos: Videos) -> None:
    pager = videos.list(order="desc")
    assert_type(pager, Pager)
    for video in pager:
        assert_type(video, Video)
    for page in pager.pages():
        assert_type(page, VideoPage)
    assert_type(list(pager), list[Video])


def check_transfers(videos: Videos) -> None:
    assert_type(videos.download("video_1", "out/", on_progress=lambda done, total: None), Path)
    with videos.stream_content("video_1", variant="video") as stream:
        assert_type(stream, ContentStreamSync)
        assert_type(stream.content_length, int | None)
        assert_type(stream.bytes_read, int)
        for chunk in stream:
            assert_type(chunk, bytes)


def check_generate(videos: Videos) -> None:
    result = videos.generate("a kite", output="out/", on_download_progress=lambda d, t: None)
    assert_type(result, GeneratedVideo)
    assert_type(result.video, Video)


def check_raw(videos: Videos) -> None:
    raw = videos.with_raw_response.retrieve("video_1")
    assert_type(raw, RawResponse[Video])
    assert_type(raw.parse(), Video)
    assert_type(videos.with_raw_response.create(prompt="x"), RawResponse[Video])
    assert_type(videos.with_raw_response.list_page(), RawResponse[VideoPage])
    assert_type(videos.with_raw_response.download_content("video_1"), RawResponse[bytes])
