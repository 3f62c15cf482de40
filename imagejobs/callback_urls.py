"""Which webhook URLs may be called (server-side request forgery defence), as pure decisions.

Deployed, a URL must be `https://` on a public address: every address its name resolves to is checked (a
name with one private address among public ones is refused), and the sender then connects to the address it
checked, so a DNS answer that changes between the check and the connection (rebinding) cannot redirect it.
Redirects are never followed. The local stack also allows `http://` and loopback addresses (the receivers a
developer runs on the same machine); no other private, link-local, shared or reserved range is allowed
anywhere. The API checks the URL's shape when it is registered; the sender checks the addresses each time.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from imagejobs.errors import ImgrecError

# What the API accepts as a URL (the OpenAPI document says the same): a DNS name with a top-level domain, or
# the loopback names a local stack may call. IP literals elsewhere are refused by the pattern itself.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:(?:{_LABEL}\.)+[A-Za-z]{{2,63}}|localhost|127\.0\.0\.1|\[::1\])"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
URL_PATTERN = (
    rf"^https?://{_HOST}(?::{_PORT})?(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(?:\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
)
MAX_URL_LENGTH = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64 well-known prefix: an IPv6 address that really is the IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlRefusedError(ImgrecError):
    """A URL, or an address it resolves to, that this deployment does not call."""


@dataclass(frozen=True)
class UrlPolicy:
    """`allow_loopback`: the local stack's relaxation (http:// and 127.0.0.0/8, ::1)."""

    allow_loopback: bool = False


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def target_of(url: str, policy: UrlPolicy) -> Target:
    """The parts of `url` the sender needs, or UrlRefusedError saying why it will not be called."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefusedError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UrlRefusedError("the URL must be http(s)://host/...")
    if parts.scheme != "https" and not policy.allow_loopback:
        raise UrlRefusedError("webhook URLs must use https://")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise UrlRefusedError("the URL may hold no user name, password or fragment")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UrlRefusedError("the URL's port is not a number from 1 to 65535") from error
    host = parts.hostname.rstrip(".").lower()
    _check_literal(host, policy)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme, host=host, port=port, path=path)


def _check_literal(host: str, policy: UrlPolicy) -> None:
    """A host given as an address (or as `localhost`) is decided without resolving it."""
    if host == "localhost" or host.endswith(".localhost"):
        if not policy.allow_loopback:
            raise UrlRefusedError("loopback addresses are only called by a local stack")
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    check_address(address, policy)


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), judged as what it reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def check_address(address: IPAddress, policy: UrlPolicy) -> None:
    reached = _unwrapped(address)
    if reached.is_loopback:
        if policy.allow_loopback:
            return
        raise UrlRefusedError(f"{address} is a loopback address")
    if not reached.is_global or reached.is_multicast or reached.is_reserved or reached.is_unspecified:
        raise UrlRefusedError(f"{address} is not a public address")


def check_addresses(addresses: list[str], policy: UrlPolicy) -> list[str]:
    """Every address a name resolved to must be allowed; returns them in order (the sender connects to
    these, never resolving again)."""
    if not addresses:
        raise UrlRefusedError("the name resolves to no address")
    for text in addresses:
        check_address(ipaddress.ip_address(text.split("%", 1)[0]), policy)
    return addresses
