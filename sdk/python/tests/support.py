"""Test support: a real ``firebreak serve`` (the repository's bin/firebreak.js,
on the embedded database in a temporary directory), a uvicorn server for an
ASGI app on a dual-stack socket, and polling."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Optional, Tuple

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ADMIN = "py-sdk-admin-token-0123456789abcdef0123456789"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(fn: Callable[[], Any], timeout: float = 10.0, what: str = "condition", interval: float = 0.02) -> Any:
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class FirebreakServer:
    """``firebreak serve`` as a child process; ``stop()`` and ``start()`` again
    on the same port and data directory (an outage and a restart)."""

    def __init__(self, config_yaml: str = ""):
        self.dir = tempfile.mkdtemp(prefix="firebreak-pysdk-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = os.path.join(self.dir, "firebreak.yaml")
        with open(self.config, "w") as f:
            f.write(config_yaml or "{}\n")
        self.proc: Optional[subprocess.Popen] = None
        self.log = os.path.join(self.dir, "server.log")

    def start(self, timeout: float = 120.0) -> "FirebreakServer":
        node = os.environ.get("FIREBREAK_NODE") or shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH (set FIREBREAK_NODE)")
        env = {
            **os.environ,
            "FIREBREAK_ADMIN_TOKEN": ADMIN,
            "FIREBREAK_DATA_DIR": os.path.join(self.dir, "data"),
            "LOG_LEVEL": "warn",
        }
        env.pop("DATABASE_URL", None)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [node, os.path.join(REPO, "bin", "firebreak.js"), "serve", "--port", str(self.port), "--config", self.config],
            cwd=self.dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"firebreak serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > end:
                self.proc.kill()
                raise RuntimeError(f"firebreak serve not ready in {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def api(self, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {ADMIN}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def token(self, role: str, name: str) -> str:
        status, body = self.api("POST", "/api/v1/tokens", {"role": role, "name": name})
        if status != 201:
            raise RuntimeError(f"token create failed: {status} {body}")
        return body["token"]

    def decide(self, scope: str, value: str, type: str = "ban", duration: str = "1h") -> str:
        status, body = self.api("POST", "/api/v1/decisions", {"scope": scope, "value": value, "type": type, "duration": duration})
        if status not in (200, 201):
            raise RuntimeError(f"decision refused: {status} {body}")
        return body["id"]


class AppServer:
    """Runs an ASGI app with uvicorn in a thread, on '::' with IPV6_V6ONLY off
    (dual stack), so IPv4 clients show up as ``::ffff:127.0.0.1`` and IPv6
    ones as ``::1``, as on a real dual-stack host."""

    def __init__(self, app: Any):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("::", 0))
        self.port = self.sock.getsockname()[1]
        # proxy_headers off: uvicorn would otherwise rewrite the client address itself
        # (from X-Forwarded-For, for peers in --forwarded-allow-ips), and the
        # tests are about what the middleware does.
        config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False, proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, 10, "uvicorn to start")

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
