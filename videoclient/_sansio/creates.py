"""The create-retry policy, without I/O: when a create may be sent again, and its key.

A create starts billable work, so sending it twice may make two jobs. Two policies:

- ``"idempotent"``: the server deduplicates creates by ``Idempotency-Key`` (OpenAI's API
  does), so a create is retried like any request, with the same key on every attempt.
- ``"conservative"``: the server may not (Runway, Vertex AI, a gateway that drops the
  key), so a create is sent again only when the failure proves it was not acted on: the
  connection was refused or could not be opened, or the answer is one of the provider's
  ``unprocessed_statuses`` (429, and a documented load shedding such as Runway's 502/503).
  A 5xx, a connection broken after sending, or a read timeout ends the call with an error
  that says a job may exist (``job_may_exist``).

The policy is the call's ``create_retry``, else the client's, else the provider's default
(``"idempotent"`` exactly when it deduplicates creates).
"""

from __future__ import annotations

import os

__all__ = ["doubt_reason", "is_conservative", "new_idempotency_key", "sends_key"]


def new_idempotency_key() -> str:
    """``videoclient-`` and a random (version 4) UUID: what ``uuid.uuid4()`` gives, cheaper."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return f"videoclient-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_conservative(policy: str | None, *, deduplicates: bool) -> bool:
    """Whether a create that may have reached the server must not be sent again, under
    ``policy`` (the call's or client's ``create_retry``; None: the provider's default)."""
    if policy is None:
        return not deduplicates
    return policy == "conservative"


def sends_key(policy: str | None, *, deduplicates: bool) -> bool:
    """Whether a create gets a new ``Idempotency-Key`` when the caller gave none: where the
    server honours keys, or the policy says it does (a gateway known to forward them)."""
    return deduplicates or policy == "idempotent"


def doubt_reason(provider: str, policy: str | None, *, deduplicates: bool, resent: bool) -> str:
    """What was done about a failed create that may have made a job, for its message."""
    if is_conservative(policy, deduplicates=deduplicates):
        if policy is None:
            because = f"{provider} does not deduplicate creates"
        else:
            because = "create_retry='conservative'"
        return f"it was not sent again ({because}): look for the job before creating another"
    if resent:
        return "it was sent again with the same Idempotency-Key: the server makes one job of them"
    return "look for the job before creating another"
