"""A local stand-in for the SMS gateway (development and tests): accepts every message, appends
it to a JSON-lines file and answers the gateway's success code.

    python -m dev.devsms --port 8026 --out .dev/local/sms.jsonl
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def make_server(host: str, port: int, out: Path) -> ThreadingHTTPServer:
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                doc = json.loads(body)
            except json.JSONDecodeError:
                self._answer(400, {"code": "BAD_REQUEST"})
                return
            record = {
                "headers": {
                    k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-")
                },
                "body": doc,
            }
            with lock, out.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._answer(200, {"code": "OK"})

        def _answer(self, status: int, doc: dict[str, str]) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--out", default=".dev/local/sms.jsonl")
    args = parser.parse_args()
    make_server(args.host, args.port, Path(args.out)).serve_forever()


if __name__ == "__main__":
    main()
