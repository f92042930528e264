"""greeting-app: answers "Nice to meet you, <NAME>!" on port $PORT (default 5000).

NAME comes from the ?name= query parameter, else from the NAME environment variable.
"""
import os
import signal
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "5000"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        name = query.get("name", [os.environ.get("NAME", "World")])[0]
        body = f"Nice to meet you, {name}!".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    # PID 1 gets no default signal actions: exit on SIGTERM ourselves.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(f"greeting-app listening on :{PORT}", flush=True)
    ThreadingHTTPServer(("", PORT), Handler).serve_forever()
