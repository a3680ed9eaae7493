"""FirebreakMiddleware in a FastAPI app served by uvicorn on a dual-stack
socket, against a real ``firebreak serve``: the Node SDK's shared middleware
cases (sdk/testing/middleware-cases.js). Firebreak never bans loopback (it is
always on its allowlist), so the cases that need a banned *remote* client
come through a trusted proxy (X-Forwarded-For from loopback); the cases on
the socket address itself use decisions applied to the guard directly."""

import unittest

import httpx
from fastapi import FastAPI

from firebreak import FirebreakMiddleware, Guard

from .support import AppServer, FirebreakServer, wait_for

FORBIDDEN = {"error": {"code": "forbidden", "message": "Access from your address is blocked."}}
server: FirebreakServer


def setUpModule():
    global server
    server = FirebreakServer().start()


def tearDownModule():
    server.destroy()


def make_app(**middleware):
    app = FastAPI()

    @app.get("/hello")
    def hello():
        return {"hello": "world"}

    app.add_middleware(FirebreakMiddleware, **middleware)
    return app


class SharedCasesTest(unittest.TestCase):
    def test_ban_range_rate_limit_and_lift_through_a_trusted_proxy(self):
        key = server.token("bouncer", "py-middleware")
        # A slow refill, so that a loaded machine cannot refill the bucket between the five requests.
        guard = Guard(server.url, key, poll_interval=0.05, rate_per_sec=0.2, burst=3)
        self.addCleanup(guard.close)
        self.assertTrue(guard.wait_synced(10))
        app = AppServer(make_app(guard=guard, trusted_proxies=["127.0.0.1", "::1"]))
        self.addCleanup(app.close)
        client = httpx.Client(timeout=10)
        self.addCleanup(client.close)
        v4 = f"http://127.0.0.1:{app.port}/hello"
        v6 = f"http://[::1]:{app.port}/hello"
        get = lambda url, xff=None: client.get(url, headers={"x-forwarded-for": xff} if xff else {})  # noqa: E731

        # Nothing decided yet: both families pass, directly and through the proxy.
        self.assertEqual(get(v4).status_code, 200)
        self.assertEqual(get(v6).status_code, 200)
        self.assertEqual(get(v4, "203.0.113.5").status_code, 200)

        # A range ban.
        range_id = server.decide("range", "203.0.113.0/24")
        wait_for(lambda: guard.check("203.0.113.5").action == "ban", 10, "the range ban")
        banned = get(v4, "203.0.113.5")
        self.assertEqual(banned.status_code, 403)
        self.assertRegex(banned.headers["content-type"], r"^application/json")
        self.assertEqual(banned.json(), FORBIDDEN)
        self.assertEqual(get(v6, "::ffff:203.0.113.77").status_code, 403, "any spelling, any family of the proxy")
        self.assertEqual(get(v4, "2001:db8::1").status_code, 200, "IPv6 is not in 203.0.113.0/24")
        self.assertEqual(get(v4).status_code, 200, "the proxy itself is not banned")

        # A rate limit on an IPv6 address: the burst passes, then 429 with Retry-After.
        before = guard.size()
        server.decide("ip", "2001:db8:0:0:0:0:0:1", "rate_limit")
        wait_for(lambda: guard.size() == before + 1, 10, "the rate limit")
        statuses = []
        limited = None
        for _ in range(5):
            res = get(v6, "2001:DB8::1")
            statuses.append(res.status_code)
            if res.status_code == 429:
                limited = res
        self.assertEqual(statuses[:3], [200, 200, 200])
        self.assertEqual(statuses[4], 429)
        self.assertIn(limited.headers["retry-after"], {"1", "2", "3", "4", "5"}, "whole seconds until the next token")
        self.assertEqual(limited.json()["error"]["code"], "rate_limited")

        # Lifting the ban lets the range through again.
        status, _ = server.api("DELETE", f"/api/v1/decisions/{range_id}")
        self.assertEqual(status, 200)
        wait_for(lambda: guard.check("203.0.113.5").action == "allow", 10, "the unban")
        self.assertEqual(get(v4, "203.0.113.5").status_code, 200)

    def test_socket_addresses_of_both_families(self):
        # Loopback cannot be banned in Firebreak; the decisions are applied to the guard itself.
        guard = Guard("http://127.0.0.1:9", "unused", start=False, rate_per_sec=0.2, burst=3)
        app = AppServer(make_app(guard=guard))
        self.addCleanup(app.close)
        client = httpx.Client(timeout=10)
        self.addCleanup(client.close)
        v4 = f"http://127.0.0.1:{app.port}/hello"
        v6 = f"http://[::1]:{app.port}/hello"
        guard.apply({"new": [{"id": 1, "type": "ban", "scope": "Range", "value": "127.0.0.0/8", "duration": "1h"}]}, True)
        self.assertEqual(client.get(v4).status_code, 403, "::ffff:127.0.0.1 from the dual-stack socket matches 127.0.0.0/8")
        self.assertEqual(client.get(v6).status_code, 200)
        guard.apply({"new": [{"id": 2, "type": "rate_limit", "scope": "Ip", "value": "0:0:0:0:0:0:0:1", "duration": "1h"}]})
        self.assertEqual([client.get(v6).status_code for _ in range(5)], [200, 200, 200, 429, 429])
        guard.apply({"deleted": [{"id": 1, "type": "ban", "scope": "Range", "value": "127.0.0.0/8"}]})
        self.assertEqual(client.get(v4).status_code, 200)


class ProxyCasesTest(unittest.TestCase):
    """X-Forwarded-For is ignored unless the peer is a trusted proxy, and then
    only the right-most untrusted entry counts."""

    def test_forwarded_for(self):
        guard = Guard("http://127.0.0.1:9", "unused", start=False)
        guard.apply({"new": [{"id": 1, "type": "ban", "scope": "Ip", "value": "203.0.113.5", "duration": "1h"}]}, True)
        blocked = []
        apps = {
            "direct": AppServer(make_app(guard=guard)),
            "proxied": AppServer(make_app(guard=guard, trusted_proxies=["127.0.0.1", "::1", "10.0.0.0/8"])),
            "elsewhere": AppServer(make_app(guard=guard, trusted_proxies=["10.0.0.0/8"])),
            "custom": AppServer(
                make_app(
                    guard=guard,
                    get_client_ip=lambda scope: "203.0.113.5",
                    on_block=lambda scope, verdict: blocked.append(verdict.decision["id"]),
                )
            ),
        }
        for a in apps.values():
            self.addCleanup(a.close)
        client = httpx.Client(timeout=10)
        self.addCleanup(client.close)

        def get(name, xff=None):
            h = {"x-forwarded-for": xff} if xff else {}
            return client.get(f"http://127.0.0.1:{apps[name].port}/hello", headers=h).status_code

        self.assertEqual(get("direct", "203.0.113.5"), 200, "a client cannot pick its address by header...")
        self.assertEqual(get("proxied", "203.0.113.5"), 403, "...unless the app says a proxy sets it")
        self.assertEqual(get("proxied", "203.0.113.5, 198.51.100.1"), 200, "only the hop our proxy appended counts")
        self.assertEqual(get("proxied", "198.51.100.1, 203.0.113.5"), 403)
        self.assertEqual(get("proxied", "203.0.113.5, 10.0.0.7"), 403, "trusted hops in the chain are skipped")
        self.assertEqual(get("proxied"), 200)
        self.assertEqual(get("elsewhere", "203.0.113.5"), 200, "loopback is not a trusted proxy there")
        self.assertEqual(get("custom"), 403)
        self.assertEqual(blocked, [1])


if __name__ == "__main__":
    unittest.main()


class ReadmeExampleTest(unittest.TestCase):
    """The FastAPI set-up of sdk/python/README.md and of the repository's
    README.md, run as written against the real server."""

    def test_sdk_readme(self):
        self.run_example("sdk/python/README.md", "FastAPI", "192.0.2.44")

    def test_repository_readme(self):
        self.run_example("README.md", "Protect a FastAPI app", "192.0.2.46")

    def run_example(self, file, heading, banned):
        import os
        import re

        with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", file), encoding="utf-8") as f:
            readme = f.read()
        found = re.search(r"\n## " + re.escape(heading) + r"\n.*?```python\n(.*?)```", readme, re.S)
        self.assertIsNotNone(found, f"{file} has a python block under {heading!r}")
        block = found.group(1)
        env = {
            "FIREBREAK_URL": server.url,
            "FIREBREAK_BOUNCER_TOKEN": server.token("bouncer", f"py-readme-{banned}"),
            "FIREBREAK_INGEST_TOKEN": server.token("ingest", f"py-readme-{banned}"),
        }
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            ns = {}
            exec(compile(block, "README.md", "exec"), ns)  # noqa: S102 - the README's own code
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        app, reporter = ns["app"], ns["reporter"]
        self.addCleanup(reporter.close, 1)

        @app.get("/hello")
        def hello():
            return {"hello": "world"}

        srv = AppServer(app)
        self.addCleanup(srv.close)
        # Starlette keeps the keyword arguments as `options` (older) or `kwargs` (newer).
        mw = next(m for m in app.user_middleware if m.cls is FirebreakMiddleware)
        guard = (getattr(mw, "kwargs", None) or mw.options)["guard"]
        self.addCleanup(guard.close)
        self.assertTrue(guard.wait_synced(10))
        server.decide("ip", banned)
        wait_for(lambda: guard.check(banned).action == "ban", 10, "the ban")
        with httpx.Client(timeout=10) as c:
            url = f"http://127.0.0.1:{srv.port}/hello"
            self.assertEqual(c.get(url, headers={"x-forwarded-for": banned}).status_code, 403)
            self.assertEqual(c.get(url, headers={"x-forwarded-for": "192.0.2.45"}).status_code, 200)
        wait_for(lambda: reporter.sent >= 1, 10, "the request reported")
