"""Outbound webhook HTTP: Standard Webhooks signatures, the SSRF guard, and one POST.

Signatures follow https://www.standardwebhooks.com: ``webhook-signature`` is
``v1,`` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"))
where the key is the base64 part of the ``whsec_…`` secret; several
signatures (during a secret rotation) are separated by spaces.

The SSRF guard: a webhook URL must be http(s), without credentials, and
every address its host resolves to must be public (not loopback, private,
link-local, unique-local, multicast, reserved or unspecified, IPv4 or IPv6,
also when an IPv6 address embeds an IPv4 one) unless private targets are
allowed. The POST then connects to the very address that was checked, never
resolving the name a second time (a DNS answer that changes between the
check and the connection cannot redirect it), while the Host header and the
TLS server name stay the URL's host. Redirects are never followed.

The standard library's ``http.client`` is used on purpose: it lets the
connection go to a pinned address with the URL's host for Host and SNI, and
it follows no redirect, where requests/urllib3 would need adapters (and a
new dependency) for the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "EXCERPT_BYTES",
    "SECRET_PREFIX",
    "DeliveryError",
    "HttpAnswer",
    "Target",
    "UnsafeUrl",
    "address_problem",
    "classify",
    "new_secret",
    "post",
    "resolve",
    "sign",
    "signature_header",
    "split_url",
]

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# How much of an endpoint's answer is read and kept in the delivery log.
EXCERPT_BYTES = 2048
MAX_URL_LENGTH = 2000
USER_AGENT = "surveyapp-webhooks/1"
# RFC 6052 NAT64 prefix: the last 32 bits are an IPv4 address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """A URL webhooks must not go to; ``code`` says why (see ``split_url`` and ``resolve``)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class DeliveryError(Exception):
    """A POST that got no usable answer (connection refused, timeout, TLS, broken reply)."""


@dataclass(frozen=True)
class Target:
    """Where a POST goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class HttpAnswer:
    """What the endpoint answered: status, the start of its body, and the time taken."""

    status: int
    excerpt: str
    duration_ms: int
    location: str | None = None
    # Seconds asked for by a Retry-After header in seconds (an HTTP date is ignored).
    retry_after: int | None = None


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message with one ``whsec_`` secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret, separated by spaces."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_)


def address_problem(address: IPAddress) -> str | None:
    """Why an address is not a public internet address ("loopback", "private", …), or None.

    >>> address_problem(ipaddress.ip_address("93.184.216.34")) is None
    True
    >>> address_problem(ipaddress.ip_address("::ffff:127.0.0.1"))
    'loopback'
    >>> address_problem(ipaddress.ip_address("fd00::1"))
    'private'
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # The IPv4 address is where the packets end up: it decides.
            return address_problem(embedded)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        # Shared address space (100.64.0.0/10), benchmarking and documentation ranges.
        return "reserved"
    return None


def split_url(url: str) -> SplitResult:
    """The parts of a URL webhooks may go to; raises UnsafeUrl ("scheme", "credentials",
    "host", "port", "length") otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl("length")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("port", str(exc)) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("scheme", parts.scheme)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrl("credentials")
    if not parts.hostname:
        raise UnsafeUrl("host")
    if port == 0:
        raise UnsafeUrl("port", "0")
    return parts


def resolve(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and pick the address to connect to.

    Every address the host resolves to is checked, so a name that also points
    inside the network is refused. Raises UnsafeUrl: ``split_url``'s codes,
    "unresolvable", or an ``address_problem`` code with the address.
    """
    parts = split_url(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl("unresolvable", str(exc)) from None
    addresses = list(dict.fromkeys(_address(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeUrl("unresolvable", host)
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise UnsafeUrl(problem, str(address))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow_private: bool,
    connect_timeout: float,
    read_timeout: float,
    ca_file: str | None = None,
) -> HttpAnswer:
    """POST ``body`` to ``url`` once, through the SSRF guard, without following redirects.

    ``read_timeout`` bounds every wait for the answer's bytes; only the first
    EXCERPT_BYTES of the answer are read. HTTPS certificates are checked against
    the system's CAs, or those of ``ca_file``. Raises UnsafeUrl (refused target) or
    DeliveryError (no answer).
    """
    target = resolve(url, allow_private=allow_private)
    connection = _connection(target, connect_timeout, read_timeout, ca_file)
    start = time.monotonic()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        answer = connection.getresponse()
        excerpt = answer.read(EXCERPT_BYTES)
    except TimeoutError:
        raise DeliveryError(f"timed out after {time.monotonic() - start:.1f} s") from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS error: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"connection failed: {exc or type(exc).__name__}") from None
    finally:
        connection.close()
    return HttpAnswer(
        status=answer.status,
        excerpt=excerpt.decode("utf-8", "replace"),
        duration_ms=round((time.monotonic() - start) * 1000),
        location=answer.getheader("Location"),
        retry_after=_seconds(answer.getheader("Retry-After")),
    )


def classify(status: int) -> str:
    """What an HTTP status means for a delivery: "delivered", "retry" or "failed".

    2xx is delivered. 408, 425, 429 and 5xx are the receiver's temporary
    trouble: try again later. Any other status (a redirect, which is not
    followed, or a 4xx such as 400, 401, 404, 410) is an answer about the
    request itself: the same bytes would get the same answer, so retrying only
    adds load; the delivery fails at once and can be replayed once the
    endpoint is fixed.

    >>> [classify(code) for code in (200, 204, 301, 400, 404, 408, 429, 500, 503)]
    ['delivered', 'delivered', 'failed', 'failed', 'failed', 'retry', 'retry', 'retry', 'retry']
    """
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 425, 429) or status >= 500:
        return "retry"
    return "failed"


def _seconds(value: str | None) -> int | None:
    """A Retry-After given in seconds, or None.

    >>> [_seconds(v) for v in ("120", " 5 ", "-1", "Wed, 21 Oct 2026 07:28:00 GMT", None)]
    [120, 5, None, None, None]
    """
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _address(text: str) -> IPAddress:
    # getaddrinfo may add an IPv6 zone ("fe80::1%eth0"), which ip_address refuses.
    return ipaddress.ip_address(text.split("%", 1)[0])


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header stays the URL's host."""

    def __init__(self, target: Target, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self._address = target.address
        self._read_timeout = read_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; SNI and certificate checks use the URL's host."""

    def __init__(
        self, target: Target, connect_timeout: float, read_timeout: float, ca_file: str | None
    ) -> None:
        super().__init__(
            target.host,
            target.port,
            timeout=connect_timeout,
            context=ssl.create_default_context(cafile=ca_file),
        )
        self._address = target.address
        self._read_timeout = read_timeout

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        self.sock.settimeout(self._read_timeout)


def _connection(
    target: Target, connect_timeout: float, read_timeout: float, ca_file: str | None
) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, connect_timeout, read_timeout, ca_file)
    return _PinnedHTTPConnection(target, connect_timeout, read_timeout)
