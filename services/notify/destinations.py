"""Where a webhook may go: the URL checked, its host resolved, every address checked.

Called when a subscription is made (a refusal is a 422 naming ``url``) and again before every
send, where the request then goes to the address that was checked (DNS rebinding: a name that
resolved to a public address at registration and to 127.0.0.1 or 169.254.169.254 since is caught
at send time, and a second look-up between check and connect cannot change the target).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from services.notify.domain import address_error, url_error
from services.notify.ports import Resolver


class DestinationRefused(Exception):
    """``retryable`` when the host merely did not resolve (it may, later)."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable


@dataclass(frozen=True)
class Destination:
    url: str  # as registered
    host: str
    port: int
    address: str  # the checked address the request goes to

    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        ip = ipaddress.ip_address(self.address.split("%", 1)[0])
        host = f"[{ip}]" if ip.version == 6 else str(ip)
        return urlunsplit((parts.scheme, f"{host}:{self.port}", parts.path, parts.query, ""))

    def host_header(self) -> str:
        default = 443 if urlsplit(self.url).scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


class SystemResolver:
    """The operating system's resolver (getaddrinfo), bounded in time."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self.timeout_s
        )
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_destination(url: str, resolver: Resolver, *, allow_insecure: bool) -> Destination:
    """The destination of ``url`` if every address its host resolves to may be reached."""
    error = url_error(url, allow_insecure=allow_insecure)
    if error is not None:
        raise DestinationRefused(error)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = await resolver.resolve(host, port)
        except (OSError, TimeoutError, UnicodeError, ValueError) as exc:
            raise DestinationRefused(f"{host} does not resolve", retryable=True) from exc
    if not addresses:
        raise DestinationRefused(f"{host} does not resolve", retryable=True)
    # Every address, not only the first: a name may answer a public and a private one.
    for address in addresses:
        refused = address_error(address, allow_loopback=allow_insecure)
        if refused is not None:
            where = "" if refused.startswith(host) else f"{host} resolves to "
            raise DestinationRefused(f"{where}{refused}; only public addresses may be reached")
    return Destination(url=url, host=host, port=port, address=addresses[0])
