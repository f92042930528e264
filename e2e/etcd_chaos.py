#!/usr/bin/env python3
"""Chaos scenarios for `minik8s server` against etcd crashes (driven by etcd_chaos_test.sh).

Every scenario runs 8 client threads that create ConfigMaps as fast as they can while
something is killed, and then checks that every create the API acknowledged is stored.

  etcd-kill      kill -9 of the managed etcd 5 times at random 1-3 s intervals: each
                 recovery (etcd ready -> first acknowledged write) is printed and must take
                 <= 2 s; /readyz must have said "not ready" during each outage; a watch
                 opened before the first kill must see every create (it continues with no
                 gap, or ends with 410 and the client relists).
  external-etcd  the same with an etcd we run ourselves (--etcd-servers), killed and
                 started again by hand on the same ports and data.
  server-kill    kill -9 of the server process 5 times, restarted on the same data dir.
  sigterm        SIGTERM while etcd hangs (SIGSTOP) ends the server within 10 s, and no
                 etcd of ours is left.

Only loopback addresses are used. Every process started here is stopped by PID.
Usage: etcd_chaos.py MINIK8S_BINARY WORK_DIR
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

MINIK8S, WORK = sys.argv[1], sys.argv[2]
CLIENTS = 8
KILLS = 5
MAX_RECOVERY_S = 2.0
failures = []


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def wait_for(pred, timeout, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def children(pid, name):
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)],
                         capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if line.split()[1:] == [name]]


class Server:
    """One `minik8s server` process on its own port and data dir."""

    def __init__(self, name, extra_args=()):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.etcd_port = free_port()
        self.extra = list(extra_args)
        self.proc = None
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        args = [MINIK8S, "server", "--port", str(self.port), "--data-dir", self.dir,
                "--log-level", "info", "--etcd-port", str(self.etcd_port)] + self.extra
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        ok = wait_for(lambda: http("GET", self.url + "/readyz", timeout=1)[0] == 200, 30, 0.02)
        if not ok:
            print(open(os.path.join(self.dir, "server.log")).read()[-3000:])
            raise SystemExit("server did not become ready")

    def etcd_pid(self):
        pids = children(self.proc.pid, "etcd")
        return pids[0] if pids else 0

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Load:
    """CLIENTS threads creating ConfigMaps; records what was acknowledged, and when."""

    def __init__(self, server, prefix):
        self.server, self.prefix = server, prefix
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}   # name -> monotonic time of the 201
        self.errors = 0
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(CLIENTS)]

    def run(self, worker):
        i = 0
        while not self.stop.is_set():
            name = "%s-%d-%d" % (self.prefix, worker, i)
            code, _ = http("POST", self.server.url + "/api/v1/namespaces/default/configmaps",
                           {"metadata": {"name": name}, "data": {"i": str(i)}})
            if code == 201:
                with self.lock:
                    self.acked[name] = time.monotonic()
                i += 1
            elif code == 409:
                i += 1  # a create with no answer that did land (retried): present, not acked
            else:
                with self.lock:
                    self.errors += 1
                time.sleep(0.01)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def first_ack_after(self, t):
        with self.lock:
            later = [a for a in self.acked.values() if a >= t]
        return min(later) if later else None


def stored_names(server, prefix):
    code, body = http("GET", server.url + "/api/v1/namespaces/default/configmaps", timeout=30)
    if code != 200:
        return None
    return {i["metadata"]["name"] for i in json.loads(body)["items"]
            if i["metadata"]["name"].startswith(prefix)}


def check_acked_present(server, load, what):
    names = stored_names(server, load.prefix)
    missing = set(load.acked) - (names or set())
    check(names is not None and not missing,
          "%s: all %d acknowledged creates are stored (%d missing, %d errors while down)"
          % (what, len(load.acked), len(missing), load.errors))


class ReadyzProbe(threading.Thread):
    """Polls /readyz every 10 ms and records (time, ok)."""

    def __init__(self, server):
        super().__init__()
        self.server, self.samples, self.halt = server, [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            self.samples.append((time.monotonic(),
                                 http("GET", self.server.url + "/readyz", timeout=1)[0] == 200))
            time.sleep(0.01)

    def not_ready_between(self, a, b):
        return any(not ok for t, ok in self.samples if a <= t <= b)


class Watcher(threading.Thread):
    """A client watch on ConfigMaps opened before the chaos. On a stream end it re-watches
    from the last resourceVersion; on 410 it relists, as client-go's reflector does."""

    def __init__(self, server, prefix):
        super().__init__(daemon=True)
        self.server, self.prefix = server, prefix
        self.seen, self.relists, self.reopens, self.halt = set(), 0, 0, threading.Event()
        code, body = http("GET", server.url + "/api/v1/namespaces/default/configmaps")
        self.rv = json.loads(body)["metadata"]["resourceVersion"]

    def run(self):
        while not self.halt.is_set():
            url = (self.server.url + "/api/v1/namespaces/default/configmaps?watch=1"
                   "&allowWatchBookmarks=true&resourceVersion=" + self.rv)
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    for line in r:
                        ev = json.loads(line)
                        if ev["type"] == "ERROR":
                            if ev["object"].get("code") == 410:
                                self.relist()
                            break
                        obj = ev["object"]
                        self.rv = obj["metadata"]["resourceVersion"]
                        if ev["type"] in ("ADDED", "MODIFIED"):
                            self.seen.add(obj["metadata"]["name"])
                        if self.halt.is_set():
                            return
            except urllib.error.HTTPError as e:
                if e.code == 410:
                    self.relist()
                else:
                    time.sleep(0.05)
            except OSError:
                time.sleep(0.05)
            self.reopens += 1

    def relist(self):
        code, body = http("GET", self.server.url + "/api/v1/namespaces/default/configmaps")
        if code == 200:
            listed = json.loads(body)
            self.seen |= {i["metadata"]["name"] for i in listed["items"]}
            self.rv = listed["metadata"]["resourceVersion"]
            self.relists += 1


def etcd_ready(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=0.5) as r:
            return json.loads(r.read()).get("health") == "true"
    except (OSError, ValueError):
        return False


def kill_etcd_rounds(server, load, probe, kill, restart=None):
    """kill() kills etcd, restart() (external etcd only) starts it again; returns the
    recovery times: etcd ready -> first acknowledged write after it."""
    recoveries = []
    for round_no in range(KILLS):
        time.sleep(random.uniform(1, 3))
        killed_at = time.monotonic()
        kill()
        if restart:
            time.sleep(0.3)
            restart()
        ready = wait_for(lambda: etcd_ready(server.etcd_port), 20, 0.005)
        ready_at = time.monotonic()
        first = None
        if ready:
            wait_for(lambda: load.first_ack_after(ready_at) is not None, 15, 0.005)
            first = load.first_ack_after(ready_at)
        recovery = (first - ready_at) if first else None
        recoveries.append(recovery)
        print("    kill %d: etcd ready %.2f s after the kill; first write %s after that"
              % (round_no + 1, ready_at - killed_at,
                 "%.3f s" % recovery if recovery is not None else "NEVER"), flush=True)
        check(probe.not_ready_between(killed_at, ready_at + 0.05),
              "kill %d: /readyz was not ok while etcd was down" % (round_no + 1))
    return recoveries


def scenario_etcd_kill():
    print("== etcd killed with -9 %d times under %d writers" % (KILLS, CLIENTS), flush=True)
    server = Server("etcd-kill")
    server.start()
    watcher = Watcher(server, "chaos")
    watcher.start()
    probe = ReadyzProbe(server)
    probe.start()
    try:
        with Load(server, "chaos") as load:
            def kill():
                pid = server.etcd_pid()
                if pid:
                    os.kill(pid, signal.SIGKILL)
            recoveries = kill_etcd_rounds(server, load, probe, kill)
            time.sleep(0.5)
        probe.halt.set()
        probe.join()
        check(all(r is not None and r <= MAX_RECOVERY_S for r in recoveries),
              "every recovery took <= %.0f s (%s)" % (MAX_RECOVERY_S, ", ".join(
                  "%.3f" % r if r is not None else "never" for r in recoveries)))
        check_acked_present(server, load, "etcd kills")
        wait_for(lambda: set(load.acked) <= watcher.seen, 10, 0.05)
        missed = set(load.acked) - watcher.seen
        check(not missed, "the watch opened before the kills saw every create "
              "(%d missed, %d re-opens, %d relists after 410)"
              % (len(missed), watcher.reopens, watcher.relists))
        code, body = http("GET", server.url + "/readyz?verbose")
        check(code == 200 and b"[+]etcd ok" in body, "/readyz?verbose is ok again: [+]etcd ok")
        write_recoveries(recoveries)
    finally:
        watcher.halt.set()
        probe.halt.set()
        server.stop()


def write_recoveries(recoveries):
    path = os.environ.get("CHAOS_RESULTS")
    if path:
        with open(path, "w") as f:
            json.dump({"etcd_kill_recoveries_s": recoveries}, f)


def scenario_external_etcd():
    print("== external etcd (--etcd-servers) killed with -9 and started again, %d times"
          % KILLS, flush=True)
    etcd_port, peer_port = free_port(), free_port()
    data = os.path.join(WORK, "external-etcd")
    os.makedirs(data, exist_ok=True)
    url = "http://127.0.0.1:%d" % etcd_port
    peer = "http://127.0.0.1:%d" % peer_port
    args = ["/usr/bin/etcd", "--name=chaos", "--data-dir=" + data + "/etcd",
            "--listen-client-urls=" + url, "--advertise-client-urls=" + url,
            "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
            "--initial-cluster=chaos=" + peer, "--initial-cluster-state=new",
            "--heartbeat-interval=10", "--election-timeout=100"]
    log = open(os.path.join(data, "etcd.log"), "ab")
    etcd = {"proc": subprocess.Popen(args, stdout=log, stderr=log)}
    server = Server("external", ["--etcd-servers", url])
    server.etcd_port = etcd_port
    try:
        if not wait_for(lambda: etcd_ready(etcd_port), 20):
            raise SystemExit("external etcd did not start")
        server.start()
        probe = ReadyzProbe(server)
        probe.start()
        with Load(server, "ext") as load:
            def kill():
                etcd["proc"].kill()
                etcd["proc"].wait()

            def restart():
                etcd["proc"] = subprocess.Popen(args, stdout=log, stderr=log)
            recoveries = kill_etcd_rounds(server, load, probe, kill, restart)
            time.sleep(0.5)
        probe.halt.set()
        probe.join()
        check(all(r is not None and r <= MAX_RECOVERY_S for r in recoveries),
              "external etcd: every recovery took <= %.0f s" % MAX_RECOVERY_S)
        check_acked_present(server, load, "external etcd kills")
    finally:
        server.stop()
        if etcd["proc"].poll() is None:
            etcd["proc"].terminate()
            etcd["proc"].wait()


def scenario_server_kill():
    print("== server killed with -9 %d times under %d writers" % (KILLS, CLIENTS), flush=True)
    server = Server("server-kill")
    server.start()
    try:
        with Load(server, "srv") as load:
            for round_no in range(KILLS):
                time.sleep(random.uniform(1, 3))
                etcd_pid = server.etcd_pid()
                server.kill9()
                check(wait_for(lambda: not pid_alive(etcd_pid), 10),
                      "kill %d: the managed etcd followed its server" % (round_no + 1))
                started = time.monotonic()
                server.start()
                print("    kill %d: ready again %.2f s after the restart"
                      % (round_no + 1, time.monotonic() - started), flush=True)
            time.sleep(0.5)
        check_acked_present(server, load, "server kills")
    finally:
        server.stop()


def scenario_sigterm():
    print("== SIGTERM while etcd hangs (SIGSTOP) and while etcd is down", flush=True)
    server = Server("sigterm")
    for how in ("hung", "killed"):
        server.start()
        etcd_pid = server.etcd_pid()
        with Load(server, "term-" + how):
            time.sleep(0.5)
            os.kill(etcd_pid, signal.SIGSTOP if how == "hung" else signal.SIGKILL)
            time.sleep(0.1)
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            try:
                server.proc.wait(timeout=10)
                took = time.monotonic() - started
            except subprocess.TimeoutExpired:
                took = None
        check(took is not None, "etcd %s: SIGTERM ended the server within 10 s (%s)"
              % (how, "%.2f s" % took if took is not None else "still running"))
        if took is None:
            server.kill9()
        check(wait_for(lambda: not pid_alive(etcd_pid), 10),
              "etcd %s: no etcd of ours is left" % how)


def main():
    random.seed(int(os.environ.get("CHAOS_SEED", time.time())))
    for scenario in (scenario_etcd_kill, scenario_external_etcd, scenario_server_kill,
                     scenario_sigterm):
        try:
            scenario()
        except SystemExit as e:
            check(False, "%s: %s" % (scenario.__name__, e))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
