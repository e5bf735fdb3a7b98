"""Test data and a real HTTP receiver for webhooks."""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

from surveyapp import db
from surveyapp.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from surveyapp.services import webhooks
from surveyapp.services.webhooks import EndpointInput

DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
# Tests reach a receiver on 127.0.0.1: private targets allowed, quick timeouts and retries.
WEBHOOK_TEST_CONFIG = {
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True,
    "WEBHOOK_CONNECT_TIMEOUT": 2.0,
    "WEBHOOK_READ_TIMEOUT": 1.0,
    "WEBHOOK_MAX_ATTEMPTS": 3,
    "WEBHOOK_RETRY_BASE_SECONDS": 60,
}


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """What the receiver answers: statuses in turn (the last one repeats), an optional delay."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread that records every POST (HTTPS with ``tls``)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Received] = []
        self.script = Script()
        # The TLS server names clients asked for (SNI).
        self.server_names: list[str | None] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    index = len(receiver.requests) - 1
                    script = receiver.script
                status = script.statuses[min(index, len(script.statuses) - 1)]
                if script.delay:
                    time.sleep(script.delay)
                try:
                    self.send_response(status)
                    for name, value in script.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(script.body)))
                    self.end_headers()
                    self.wfile.write(script.body)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/in?src=surveyapp"
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


def gen_endpoint(
    url: str,
    events: tuple[str, ...] = ("response.created", "response.updated"),
    *,
    survey_id: int | None = None,
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """An endpoint made through the service, with its secret."""
    return webhooks.create_endpoint(
        EndpointInput(url=url, events=events, survey_id=survey_id, active=active)
    )


def delivery_rows() -> list[tuple[WebhookDelivery, OutboxMessage]]:
    """Every delivery with its outbox message, oldest first, read fresh."""
    session = db.session()
    session.expire_all()
    return [
        (delivery, message)
        for delivery, message in session.execute(
            sa.select(WebhookDelivery, OutboxMessage)
            .join(OutboxMessage, OutboxMessage.id == WebhookDelivery.outbox_message_id)
            .order_by(WebhookDelivery.id)
        )
    ]


def make_webhooks_due() -> None:
    """Make every pending webhook message due now (skip the backoff wait)."""
    session = db.session()
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.kind == "webhook")
        .values(next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    session.commit()


def make_certificates(folder: Path, hostname: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for ``hostname`` (openssl): ca, cert, key."""
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    cert, key, request = folder / "server.pem", folder / "server.key", folder / "server.csr"
    extensions = folder / "server.ext"
    extensions.write_text(
        f"subjectAltName=DNS:{hostname}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        encoding="ascii",
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=Test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", *ec, "-keyout", key, "-out", request, "-subj", f"/CN={hostname}"],
        ["x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", extensions],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)
    return ca, cert, key


def docs_snippet(language: str) -> str:
    """The first code block of ``language`` in docs/webhooks.md."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"```{language}\n") + len(language) + 4
    return text[start : text.index("```", start)]
