"""A fault-injecting front for the mock Clerk, on loopback (stdlib only).

    python3 faults.py MOCK_ORIGIN      # prints "listening on http://127.0.0.1:PORT"

Requests to /<run>/<fault>/<path> go to MOCK_ORIGIN/<path>, except:
- fault "503": the first request of the run answers 503 (a Clerk error body);
- fault "429": the first request of the run answers 429 with Retry-After: 1;
- fault "slow": every request waits 3 s before it is passed on.
GET /_report/<run> answers JSON: for each fault, the arrival times (seconds
on this process's monotonic clock) of that run's requests.
Stops on SIGTERM or SIGINT.
"""

import http.client
import json
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MOCK = urllib.parse.urlsplit(sys.argv[1])
ARRIVALS = {}  # (run, fault) -> [monotonic seconds]
LOCK = threading.Lock()


def clerk_error(status, code, message):
    return json.dumps(
        {"errors": [{"message": message, "long_message": message, "code": code, "meta": {}}],
         "clerk_trace_id": "faults-front"}
    ).encode()


class Front(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: requests carry the secret key
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) == 3 and parts[1] == "_report":
            with LOCK:
                report = {f: list(t) for (r, f), t in ARRIVALS.items() if r == parts[2]}
            return self.reply(200, json.dumps(report).encode())
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.split("/", 3)
        if len(parts) < 4 or parts[2] not in ("503", "429", "slow"):
            return self.reply(404, clerk_error(404, "resource_not_found", "no such fault"))
        run, fault, rest = parts[1], parts[2], parts[3]
        with LOCK:
            times = ARRIVALS.setdefault((run, fault), [])
            times.append(time.monotonic())
            first = len(times) == 1
        if fault == "503" and first:
            return self.reply(503, clerk_error(503, "internal_error", "injected 503"))
        if fault == "429" and first:
            return self.reply(429, clerk_error(429, "too_many_requests", "injected 429"),
                              [("Retry-After", "1")])
        if fault == "slow":
            time.sleep(3)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn = http.client.HTTPConnection(MOCK.hostname, MOCK.port, timeout=10)
        try:
            conn.request(self.command, "/" + rest, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            passed = [(k, v) for k, v in answer.getheaders()
                      if k.lower() not in ("content-length", "content-type", "connection",
                                           "transfer-encoding", "date", "server")]
            self.reply(answer.status, data, passed)
        except OSError:
            pass  # the client gave up (the deadline check); nothing to answer
        finally:
            conn.close()


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Front)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
