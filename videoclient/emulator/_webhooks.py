"""Webhook delivery: a Standard Webhooks signed POST when a job ends, retried a few times.

Signing (https://www.standardwebhooks.com): the secret is ``whsec_`` + base64; the signature
is ``v1,`` + base64(HMAC-SHA256(key=base64-decoded secret, msg=f"{id}.{timestamp}.{body}")).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import aiohttp

__all__ = ["WebhookSender", "sign"]

#: Seconds between delivery attempts (the last entry ends the retries).
RETRY_DELAYS: tuple[float, ...] = (0.5, 2.0, 8.0)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for a payload."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class WebhookSender:
    """Delivers events in background tasks; :meth:`close` cancels what is still pending.

    Args:
        url: Where to POST.
        secret: ``whsec_`` secret; without one, events go unsigned.
        retry_delays: Pauses between attempts; an event is tried ``len + 1`` times at most.
        clock: Wall-clock seconds for ``created_at`` and ``webhook-timestamp``.
    """

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.secret = secret
        self.retry_delays = retry_delays
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: (event id, HTTP status or None) of every attempt, for tests and logs.
        self.attempts: list[tuple[str, int | None]] = []

    def send(self, event_type: str, video_id: str) -> None:
        """Queue the event ``event_type`` about ``video_id`` for delivery."""
        now = int(self.clock())
        event: dict[str, Any] = {
            "id": f"evt_{secrets.token_hex(16)}",
            "object": "event",
            "type": event_type,
            "created_at": now,
            "data": {"id": video_id},
        }
        task = asyncio.get_running_loop().create_task(self._deliver(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: dict[str, Any]) -> None:
        body = json.dumps(event, separators=(",", ":")).encode()
        msg_id = event["id"]
        for delay in (*self.retry_delays, None):
            timestamp = int(self.clock())
            headers = {
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(timestamp),
            }
            if self.secret:
                headers["webhook-signature"] = sign(self.secret, msg_id, timestamp, body)
            status: int | None = None
            try:
                if self._session is None:
                    self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
                async with self._session.post(self.url, data=body, headers=headers) as resp:
                    status = resp.status
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                status = None
            self.attempts.append((msg_id, status))
            if status is not None and 200 <= status < 300:
                return
            if delay is None:
                return
            await asyncio.sleep(delay)

    async def close(self) -> None:
        """Cancel pending deliveries and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
