"""Client configuration: one frozen value, and the one place the environment is read.

``ClientConfig.from_env`` is called by the client constructors; nothing reads the
environment at import time. The API key is kept in a :class:`Secret`, whose repr
and str never show it, and is excluded from the config's repr.
"""

from __future__ import annotations

import os
import ssl as _ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal, Union

import attrs

from .loops import DEFAULT_LOOP_GUARD, LoopGuard

__all__ = [
    "CREATE_RETRY_POLICIES",
    "CreateRetry",
    "DEFAULT_BASE_URL",
    "PROVIDERS",
    "DEFAULT_TIMEOUT",
    "ClientConfig",
    "Secret",
    "Timeout",
    "TokenProvider",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"

#: The APIs a client can speak.
PROVIDERS: tuple[str, ...] = ("openai", "runway", "vertex")

#: A callable returning a bearer token, sync or async; called before every request.
TokenProvider = Callable[[], str | Awaitable[str]]

SSLOption = Union[_ssl.SSLContext, bool, str, None]

#: When a create that failed may be sent again: ``"idempotent"`` retries it like any
#: request (the server deduplicates by ``Idempotency-Key``); ``"conservative"`` only when
#: the failure shows it was not acted on (connection refused, 429, the provider's load
#: shedding). None: the provider's default (``"idempotent"`` only where it deduplicates).
CreateRetry = Literal["idempotent", "conservative"]
CREATE_RETRY_POLICIES: tuple[str, ...] = ("idempotent", "conservative")


def check_create_retry(value: object) -> CreateRetry | None:
    """``value`` if it is a create-retry policy or None; ValueError naming the choices."""
    if value is None or value in CREATE_RETRY_POLICIES:
        return value  # type: ignore[return-value]
    raise ValueError(
        f"create_retry must be one of {', '.join(map(repr, CREATE_RETRY_POLICIES))} or None, "
        f"got {value!r}"
    )


@attrs.frozen(repr=False)
class Secret:
    """A credential whose repr and str never reveal it."""

    value: str

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@attrs.frozen
class Timeout:
    """Time limits in seconds (None: no limit).

    Attributes:
        total: Whole request, for JSON calls (default 600 s). Downloads ignore it.
        connect: Establishing a connection, including waiting for a pooled one.
        read: Longest silence while reading a response (idle timeout). This is
            what bounds a streamed download, so a large file on a slow link is
            not killed by a total-time limit.
    """

    total: float | None = 600.0
    connect: float | None = 10.0
    read: float | None = 120.0

    def __attrs_post_init__(self) -> None:
        for name in ("total", "connect", "read"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(
                    f"Timeout.{name} must be a number of seconds or None, not {value!r}"
                )
            if not 0 < value < float("inf"):  # 0 would mean "no limit" to aiohttp; NaN too
                raise ValueError(
                    f"Timeout.{name} must be a positive number of seconds (None for no limit), "
                    f"got {value!r}"
                )

    @classmethod
    def coerce(cls, value: Timeout | float | None) -> Timeout:
        """Accept a Timeout, a number of seconds (the total) or None (no limits)."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(total=None, connect=None, read=None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"timeout must be a number of seconds or a Timeout, not {value!r}")
        if not 0 < value < float("inf"):
            raise ValueError(f"timeout must be a positive number of seconds, got {value!r}")
        return cls(total=float(value), connect=min(10.0, float(value)), read=float(value))


DEFAULT_TIMEOUT = Timeout()


def _frozen_map(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return dict(value or {})


@attrs.frozen
class ClientConfig:
    """Everything a client needs to talk to one endpoint.

    Build it with :meth:`from_env`; change one field with :func:`attrs.evolve`.
    """

    base_url: str = DEFAULT_BASE_URL
    api_key: Secret | None = attrs.field(default=None, repr=False)
    token_provider: TokenProvider | None = attrs.field(default=None, repr=False)
    auth_style: Literal["bearer", "azure"] = "bearer"
    api_version: str | None = None
    organization: str | None = None
    project: str | None = None
    timeout: Timeout = Timeout()
    max_retries: int = 2
    default_headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    default_query: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    max_connections: int = 100
    max_connections_per_host: int = 0
    max_json_bytes: int = 8 * 1024 * 1024
    ssl: SSLOption = attrs.field(default=None, repr=False)
    key_env_var: str = "OPENAI_API_KEY"
    #: Which API this endpoint speaks: ``"openai"`` (and Azure's), ``"runway"``, ``"vertex"``.
    provider: str = "openai"
    #: Vertex AI's location (project mode, with ``project``).
    location: str | None = None
    #: When a failed create may be sent again (:data:`CreateRetry`); None: the provider's default.
    create_retry: CreateRetry | None = None
    #: Calls about one job allowed per window before :class:`~videoclient.RequestLoopError`
    #: (see :class:`~videoclient.LoopGuard`); None turns the guard off.
    loop_guard: LoopGuard | None = DEFAULT_LOOP_GUARD

    def __attrs_post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(
                f"provider must be one of {', '.join(PROVIDERS)}, got {self.provider!r}"
            )
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise TypeError("max_retries must be an int")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        check_create_retry(self.create_retry)
        if self.max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        # Not echoed in these errors: what is wrong with it may be a secret.
        authority = self.base_url.split("://", 1)[1].split("/", 1)[0]
        if "@" in authority:
            raise ValueError(
                "base_url must not contain user info (credentials): pass the key as api_key"
            )
        if "?" in self.base_url or "#" in self.base_url:
            raise ValueError(
                "base_url must not contain a query or fragment: pass query parameters as "
                "default_query={...}"
            )

    @classmethod
    def from_env(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        environ: Mapping[str, str] | None = None,
        **kwargs: object,
    ) -> ClientConfig:
        """Build a config from arguments, falling back to ``OPENAI_*`` environment variables.

        Reads ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID``.
        A missing key is not an error here: the first request raises
        :class:`~videoclient.MissingAPIKeyError`.
        """
        env = os.environ if environ is None else environ
        key = api_key if api_key is not None else env.get("OPENAI_API_KEY")
        url = base_url or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        return cls(
            base_url=url.rstrip("/"),
            api_key=Secret(key) if key else None,
            organization=organization or env.get("OPENAI_ORG_ID") or None,
            project=project or env.get("OPENAI_PROJECT_ID") or None,
            **kwargs,  # type: ignore[arg-type]
        )
