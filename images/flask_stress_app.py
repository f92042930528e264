"""flask-stress-app: burns CPU and memory on request, on port $PORT (default 5000).

POST /setload?cpu=N&memory=15M&duration=60  starts N busy cores (fractions burn part of a
                                            core) and holds that much memory for that many
                                            seconds, in child processes
GET  /getparams                             the last accepted parameters, as JSON
"""
import json
import os
import signal
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "5000"))
PARAMS = {"cpu": 0, "memory": "0", "duration": 0}
UNITS = {"": 1, "K": 1 << 10, "KI": 1 << 10, "M": 1 << 20, "MI": 1 << 20, "G": 1 << 30,
         "GI": 1 << 30, "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def parse_bytes(text):
    text = text.strip().upper()
    digits = text.rstrip("KMGIB")
    return int(float(digits) * UNITS[text[len(digits):]])


def burn(fraction, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        while time.monotonic() - start < 0.1 * fraction:
            pass
        if fraction < 1:
            time.sleep(0.1 * (1 - fraction))


def hold(nbytes, seconds):
    block = bytearray(nbytes)
    for i in range(0, nbytes, 4096):
        block[i] = 1
    time.sleep(seconds)


def spawn(target, *args):
    if os.fork() == 0:
        try:
            target(*args)
        finally:
            os._exit(0)


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if urllib.parse.urlsplit(self.path).path == "/getparams":
            self.reply(200, PARAMS)
        else:
            self.reply(200, {"status": "ok", "usage": "POST /setload?cpu=N&memory=15M&duration=60"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/setload":
            self.reply(404, {"error": "not found"})
            return
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        try:
            cpu = float(query.get("cpu", "0"))
            memory = query.get("memory", "0")
            nbytes = parse_bytes(memory)
            duration = float(query.get("duration", "60"))
        except (ValueError, KeyError) as e:
            self.reply(400, {"error": f"bad parameter: {e}"})
            return
        PARAMS.update({"cpu": query.get("cpu", "0"), "memory": memory,
                       "duration": query.get("duration", "60")})
        whole = int(cpu)
        for _ in range(whole):
            spawn(burn, 1.0, duration)
        if cpu - whole > 0:
            spawn(burn, cpu - whole, duration)
        if nbytes > 0:
            spawn(hold, nbytes, duration)
        self.reply(200, {"status": "load started", **PARAMS})


if __name__ == "__main__":
    # PID 1 gets no default signal actions: exit on SIGTERM ourselves.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    print(f"flask-stress-app listening on :{PORT}", flush=True)
    ThreadingHTTPServer(("", PORT), Handler).serve_forever()
