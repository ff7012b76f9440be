"""What the webhook tests share: a receiver on 127.0.0.1 and small helpers."""

import datetime
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from athletes.services import athlete_create
from webhooks.models import Delivery
from webhooks.services import endpoint_create

ALL_EVENTS = [
    "flag.raised",
    "flag.resolved",
    "result.recorded",
    "session.completed",
    "athlete.created",
]


# --- A receiver on 127.0.0.1 -------------------------------------------------------------------


class Receiver:
    """An HTTP server in a thread that records every request and answers with `status`."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_endpoint(organisation, owner, url, events=("athlete.created",), **extra):
    return endpoint_create(
        organisation=organisation, created_by=owner, url=url, events=list(events), **extra
    )


def new_athlete(club, head_coach, teams=(), **profile):
    return athlete_create(
        organisation=club,
        created_by=head_coach,
        teams=teams,
        first_name=profile.pop("first_name", "Ada"),
        last_name=profile.pop("last_name", "Lock"),
        **profile,
    )


def make_due(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=2)
    )
