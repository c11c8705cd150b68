"""How Runway takes credentials: ``Authorization: Bearer KEY`` and ``X-Runway-Version``.

The version header goes on every request (the API refuses a request without it); the
key comes from ``RUNWAYML_API_SECRET`` unless given.
"""

from __future__ import annotations

from ..._sansio.config import ClientConfig
from ..._sansio.errors import MissingAPIKeyError

__all__ = [
    "API_VERSION",
    "CREDENTIAL_HEADERS",
    "DEFAULT_BASE_URL",
    "KEY_ENV_VAR",
    "base_query",
    "fixed_headers",
    "key_headers",
    "token_headers",
]

#: The API version the official SDK (runwayml 5.x) sends.
API_VERSION = "2024-11-06"
#: The root the official SDK talks to; paths are ``/v1/...`` below it.
DEFAULT_BASE_URL = "https://api.dev.runwayml.com"
KEY_ENV_VAR = "RUNWAYML_API_SECRET"
BASE_URL_ENV_VAR = "RUNWAYML_BASE_URL"

#: Headers that carry a credential: never sent to another origin.
CREDENTIAL_HEADERS = ("authorization",)


def fixed_headers(config: ClientConfig) -> dict[str, str]:
    """``X-Runway-Version`` (the config's ``api_version``, else :data:`API_VERSION`)."""
    return {"X-Runway-Version": config.api_version or API_VERSION}


def key_headers(config: ClientConfig) -> dict[str, str]:
    """The key as a bearer token.

    Raises:
        MissingAPIKeyError: No key was configured.
    """
    if config.api_key is None:
        raise MissingAPIKeyError(
            f"no Runway API key: pass api_key=... or set the {config.key_env_var} "
            "environment variable"
        )
    return {"Authorization": f"Bearer {config.api_key.value}"}


def token_headers(token: str) -> dict[str, str]:
    """A token from the config's ``token_provider``."""
    return {"Authorization": f"Bearer {token}"}


def base_query(config: ClientConfig) -> tuple[tuple[str, str], ...]:
    """The config's ``default_query`` (Runway itself needs none)."""
    return tuple(config.default_query.items())
