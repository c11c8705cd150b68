"""How Vertex AI takes credentials, in its two modes.

Express mode: an API key (``GOOGLE_API_KEY``) in ``x-goog-api-key``, paths without a
project. Project mode: ``project`` and ``location`` (``GOOGLE_CLOUD_PROJECT``,
``GOOGLE_CLOUD_LOCATION``) with a ``token_provider`` (an OAuth2 access token, sync or async
callable) sent as ``Authorization: Bearer``; paths gain ``projects/P/locations/L/``.
"""

from __future__ import annotations

from ..._sansio.config import ClientConfig
from ..._sansio.errors import MissingAPIKeyError

__all__ = [
    "CREDENTIAL_HEADERS",
    "EXPRESS_BASE_URL",
    "KEY_ENV_VAR",
    "base_query",
    "base_url_for",
    "fixed_headers",
    "key_headers",
    "token_headers",
]

KEY_ENV_VAR = "GOOGLE_API_KEY"
PROJECT_ENV_VAR = "GOOGLE_CLOUD_PROJECT"
LOCATION_ENV_VAR = "GOOGLE_CLOUD_LOCATION"
BASE_URL_ENV_VAR = "GOOGLE_VERTEX_BASE_URL"
#: The root express mode (and the ``global`` location) talks to.
EXPRESS_BASE_URL = "https://aiplatform.googleapis.com"

CREDENTIAL_HEADERS = ("x-goog-api-key", "authorization")


def base_url_for(location: str | None) -> str:
    """The root the official SDK uses: regional for a location, else the global host."""
    if not location or location == "global":
        return EXPRESS_BASE_URL
    return f"https://{location}-aiplatform.googleapis.com"


def fixed_headers(config: ClientConfig) -> dict[str, str]:
    """Vertex needs no fixed header besides the credential."""
    return {}


def key_headers(config: ClientConfig) -> dict[str, str]:
    """The express-mode key.

    Raises:
        MissingAPIKeyError: No key (and no token_provider) was configured.
    """
    if config.api_key is None:
        raise MissingAPIKeyError(
            f"no Vertex AI credential: pass api_key=... (express mode) or set {KEY_ENV_VAR}, "
            "or pass project=..., location=... and token_provider=... (project mode)"
        )
    return {"x-goog-api-key": config.api_key.value}


def token_headers(token: str) -> dict[str, str]:
    """An OAuth2 access token from the ``token_provider``."""
    return {"Authorization": f"Bearer {token}"}


def base_query(config: ClientConfig) -> tuple[tuple[str, str], ...]:
    return tuple(config.default_query.items())
