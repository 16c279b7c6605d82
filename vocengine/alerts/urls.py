"""Which webhook URLs we send to: http(s) only, and never to an address inside our own network unless a
setting allows it (server-side request forgery: a URL that resolves to the cloud metadata service, to a
link-local or loopback address, or to a private network would let an admin key read what it should not).

The check runs when an endpoint is registered and again before every attempt, since a name may resolve
elsewhere later. Redirects are never followed."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from vocengine.settings import Settings


class UnsafeUrl(ValueError):
    """A URL we refuse to send to."""


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, settings: Settings) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if settings.webhook_allow_loopback else "a loopback address"
    if address.is_link_local:
        return "a link-local address (the cloud metadata service lives there)"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "an address that is not a host"
    if address.is_private or not address.is_global:
        return None if settings.webhook_allow_private else "a private network address"
    return None


def check_url(url: str, settings: Settings, *, resolve: bool = True) -> None:
    """`UnsafeUrl` with the reason when `url` is not one we send to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs are allowed")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not allowed; use the signature to authenticate us")
    if not resolve:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except OSError as exc:
        raise UnsafeUrl(f"the host {parts.hostname} does not resolve: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        reason = _refusal(address, settings)
        if reason is not None:
            raise UnsafeUrl(f"{parts.hostname} resolves to {address}, {reason}")
