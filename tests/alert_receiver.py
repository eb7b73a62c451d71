"""A small local webhook receiver: the factory's alerts POST to it through an Airflow HTTP connection."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class AlertReceiver:
    """Collects every JSON POST in ``received``; ``connection`` is the Airflow connection pointing at it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"path": self.path, "json": json.loads(body), "type": self.headers["Content-Type"]})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.connection = json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": self.server.server_port, "schema": "http"}
        )

    def __enter__(self) -> AlertReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
