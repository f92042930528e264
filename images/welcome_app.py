"""welcome-app: a one-page website on port $PORT (default 80), version from $VERSION."""
import os
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "80"))
VERSION = os.environ.get("VERSION", "1")

PAGE = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>My Website</title>
</head>
<body>
<h1>Welcome to My website version {VERSION}</h1>
</body>
</html>
"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    # PID 1 gets no default signal actions: exit on SIGTERM ourselves.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(f"welcome-app version {VERSION} listening on :{PORT}", flush=True)
    ThreadingHTTPServer(("", PORT), Handler).serve_forever()
