"""myip: reports the pod's hostname and IP address on port $PORT (default 5000)."""
import os
import signal
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "5000"))


def pod_ip(request_socket):
    # The address the client reached us on is the pod IP (also behind DNAT); fall back
    # to $POD_IP, then to the hostname's address.
    address = request_socket.getsockname()[0]
    if address and not address.startswith("127."):
        return address
    if os.environ.get("POD_IP"):
        return os.environ["POD_IP"]
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return address


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"Hostname: {socket.gethostname()}\nIP Address: {pod_ip(self.connection)}\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    # PID 1 gets no default signal actions: exit on SIGTERM ourselves.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(f"myip listening on :{PORT}", flush=True)
    ThreadingHTTPServer(("", PORT), Handler).serve_forever()
