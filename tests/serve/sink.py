"""A prediction-log sink for the tests, run as its own process: ``python sink.py OUT.jsonl [--hang]``.

It listens on an ephemeral 127.0.0.1 port (printed on the first line of stdout) and appends each POST
it receives to OUT.jsonl as ``{"headers": {...}, "body": ...}``; with ``--hang`` it accepts requests
and never answers (a sink that is up but stuck)."""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUT = sys.argv[1]
HANG = "--hang" in sys.argv
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if HANG:
            time.sleep(3600)
        with LOCK, open(OUT, "a") as out:
            out.write(json.dumps({"headers": dict(self.headers), "body": json.loads(body)}) + "\n")
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
