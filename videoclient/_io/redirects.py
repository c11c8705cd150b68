"""The redirect policy, as pure functions the transport calls for each redirect it follows.

Redirects are followed by hand (at most five), so that credentials never change origin:
the transport drops the provider's credential headers when the target's origin differs.
"""

from __future__ import annotations

import ipaddress
import warnings

from yarl import URL

from .._sansio.errors import APIConnectionError, InsecureTransportWarning
from .stream import safe

__all__ = ["REDIRECT_STATUSES", "after_redirect", "redirect_target", "warn_if_insecure"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def after_redirect(status: int, method: str) -> tuple[str, bool]:
    """The method of the next request, and whether it keeps the body (RFC 9110 15.4)."""
    if status == 303 or (status in (301, 302) and method == "POST"):
        return "GET", False
    return method, True


def redirect_target(url: URL, location: str, method: str) -> URL:
    """Where a redirect's ``Location`` points, resolved against ``url``, without user info.

    Raises:
        APIConnectionError: The location is not a usable http(s) URL.
    """
    try:
        target = url.join(URL(location))
        if target.scheme not in ("http", "https") or not target.host:
            raise ValueError(target.scheme)
        if target.user is not None or target.password is not None:
            target = target.with_user(None)  # credentials in a URL are never followed
    except ValueError:
        raise APIConnectionError(
            "the server redirected to an invalid URL", method=method, url=safe(url)
        ) from None
    return target


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_if_insecure(base: URL) -> None:
    """Warn (once per client) when credentials would go over plain http to another machine."""
    if base.scheme == "http" and not _is_loopback(base.host or ""):
        warnings.warn(
            f"sending credentials over plain http to {base.host}; use https:// unless this "
            "network is trusted",
            InsecureTransportWarning,
            stacklevel=4,
        )
