"""How OpenAI (and Azure's OpenAI-style endpoints) take credentials.

A key goes as ``Authorization: Bearer KEY`` or, in Azure mode, ``api-key: KEY``; a token
from a ``token_provider`` always as ``Authorization: Bearer``. ``OpenAI-Organization``
and ``OpenAI-Project`` go on every request when configured, and Azure's ``api-version``
in the query.
"""

from __future__ import annotations

from ..._sansio.config import ClientConfig
from ..._sansio.errors import MissingAPIKeyError

__all__ = ["CREDENTIAL_HEADERS", "base_query", "fixed_headers", "key_headers", "token_headers"]

#: Headers that carry a credential or an account: never sent to another origin.
CREDENTIAL_HEADERS = ("authorization", "api-key", "openai-organization", "openai-project")


def fixed_headers(config: ClientConfig) -> dict[str, str]:
    """Headers every request carries, apart from the credential."""
    headers: dict[str, str] = {}
    if config.organization:
        headers["OpenAI-Organization"] = config.organization
    if config.project:
        headers["OpenAI-Project"] = config.project
    return headers


def key_headers(config: ClientConfig) -> dict[str, str]:
    """The static key's header.

    Raises:
        MissingAPIKeyError: No key was configured.
    """
    if config.api_key is None:
        raise MissingAPIKeyError(
            f"no API key: pass api_key=... or set the {config.key_env_var} environment variable"
        )
    if config.auth_style == "azure":
        return {"api-key": config.api_key.value}
    return {"Authorization": f"Bearer {config.api_key.value}"}


def token_headers(token: str) -> dict[str, str]:
    """A token from the config's ``token_provider``."""
    return {"Authorization": f"Bearer {token}"}


def base_query(config: ClientConfig) -> tuple[tuple[str, str], ...]:
    """Query parameters every request carries (``default_query``, Azure's ``api-version``)."""
    query: list[tuple[str, str]] = list(config.default_query.items())
    if config.api_version and "api-version" not in config.default_query:
        query.append(("api-version", config.api_version))
    return tuple(query)
