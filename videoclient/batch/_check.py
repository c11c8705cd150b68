"""Every line of a batch put through the client's own argument checks before anything is sent.

The checks are the ones ``client.videos.create`` runs (the provider's request builder, then
reading, sniffing and size-matching a reference image file), so a line the run would refuse
half-way (``"size": "64*64"``, a missing image, ``fit`` without ``size``) is reported now,
all such lines at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


def _problems(
    client: AsyncVideoClient,
    requests: Sequence[BatchRequest],
    clients: Mapping[str, AsyncVideoClient] | None,
) -> list[InputProblem]:
    # blocking: reads files
    problems: list[InputProblem] = []
    for index, request in enumerate(requests, start=1):
        where = request.where or f"request {index}"
        # The line's own client's builder: the same checks as its create.
        chosen = (clients or {}).get(request.provider or "", client)
        provider = chosen._session.provider
        try:
            resolve_request(provider.build_create(**request.create_arguments()))
        except (ValueError, TypeError, OSError) as exc:
            reason = str(exc)
            problems.append(InputProblem(where, reason, _field(reason)))
    return problems


async def find_problems(
    client: AsyncVideoClient,
    requests: Sequence[BatchRequest],
    clients: Mapping[str, AsyncVideoClient] | None = None,
) -> list[InputProblem]:
    """The problem of every request its client would refuse (files read in a worker thread).

    A request naming a provider is checked by ``clients[provider]`` when given, else by ``client``.
    """
    return await anyio.to_thread.run_sync(_problems, client, requests, clients)


async def check_requests(
    client: AsyncVideoClient,
    requests: Sequence[BatchRequest],
    clients: Mapping[str, AsyncVideoClient] | None = None,
) -> None:
    """Raise :class:`BatchInputError` naming every request its client would refuse."""
    problems = await find_problems(client, requests, clients)
    if problems:
        raise BatchInputError(problems)
