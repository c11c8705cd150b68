"""Every line of a batch put through the client's own argument checks before anything is sent.

The checks are the ones ``client.videos.create`` runs (the provider's request builder, then
reading, sniffing and size-matching a reference image file), so a line the run would refuse
half-way (``"size": "64*64"``, a missing image, ``fit`` without ``size``) is reported now,
all such lines at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from .._io.inputs import resolve_request
from ._input import FIELDS, BatchInputError, BatchRequest, InputProblem

if TYPE_CHECKING:
    from .._client.client import AsyncVideoClient

__all__ = ["check_requests", "find_problems"]

_FIRST_WORD = re.compile(r"^\s*([a-z_]+)")


def _field(message: str) -> str | None:
    match = _FIRST_WORD.match(message)
    return match.group(1) if match and match.group(1) in FIELDS else None


def _problems(client: AsyncVideoClient, requests: Sequence[BatchRequest]) -> list[InputProblem]:
    # blocking: reads files
    provider = client._session.provider  # the client's own builder: the same checks as create
    problems: list[InputProblem] = []
    for index, request in enumerate(requests, start=1):
        where = request.where or f"request {index}"
        try:
            resolve_request(provider.build_create(**request.create_arguments()))
        except (ValueError, TypeError, OSError) as exc:
            reason = str(exc)
            problems.append(InputProblem(where, reason, _field(reason)))
    return problems


async def find_problems(
    client: AsyncVideoClient, requests: Sequence[BatchRequest]
) -> list[InputProblem]:
    """The problem of every request ``client`` would refuse (files read in a worker thread)."""
    return await anyio.to_thread.run_sync(_problems, client, requests)


async def check_requests(client: AsyncVideoClient, requests: Sequence[BatchRequest]) -> None:
    """Raise :class:`BatchInputError` naming every request ``client`` would refuse."""
    problems = await find_problems(client, requests)
    if problems:
        raise BatchInputError(problems)
