"""The issue's acceptance scenario, end to end: a FastAPI app with
FirebreakMiddleware and Reporter behind a trusted proxy, against a real
``firebreak serve`` on its default rules.

1. Five failed logins reported for one client → that client gets 403 (the
   brute_force_attempt ban reaches the guard through the bouncer stream),
   another client 200. The time it took is printed (a figure, not an assertion).
2. Twelve 500 answers from the app → a high_error_rate incident.
3. Firebreak stopped → the app keeps serving and keeps enforcing the known
   ban; started again → the guard re-syncs.
"""

import time
import unittest

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from firebreak import FirebreakMiddleware, Guard, Reporter

from .support import AppServer, FirebreakServer, wait_for

ATTACKER = "203.0.113.77"
OTHER = "198.51.100.8"


class AcceptanceTest(unittest.TestCase):
    def test_fastapi_app_protected_and_reporting(self):
        server = FirebreakServer().start()
        self.addCleanup(server.destroy)
        # Default intervals (poll every 1 s; logins sent at once, other events every 1 s),
        # except a shorter backoff so that the restart below is noticed quickly.
        guard = Guard(server.url, server.token("bouncer", "py-app"), max_backoff=1)
        self.addCleanup(guard.close)
        reporter = Reporter(server.url, server.token("ingest", "py-app"))
        self.addCleanup(reporter.close, 1)

        app = FastAPI()

        @app.post("/login")
        async def login(request: Request):
            body = await request.json()
            if body.get("password") != "correct horse battery staple":
                reporter.login_failed(request.state.firebreak_client_ip, user_id=body.get("username"), route="/login")
                return JSONResponse({"error": {"code": "unauthorized"}}, status_code=401)
            reporter.login_succeeded(request.state.firebreak_client_ip, user_id=body.get("username"), route="/login")
            return {"ok": True}

        @app.get("/")
        def home():
            return {"hello": "world"}

        @app.get("/checkout")
        def checkout():
            raise RuntimeError("payment backend down")

        app.add_middleware(FirebreakMiddleware, guard=guard, reporter=reporter, trusted_proxies=["127.0.0.1", "::1"])
        srv = AppServer(app)
        self.addCleanup(srv.close)
        base = f"http://127.0.0.1:{srv.port}"
        client = httpx.Client(timeout=10)
        self.addCleanup(client.close)
        as_ = lambda ip: {"x-forwarded-for": ip}  # noqa: E731  (our proxy appended the client's address)
        self.assertTrue(guard.wait_synced(10))

        # 1. Five failed logins for one client behind the proxy.
        for i in range(5):
            res = client.post(base + "/login", json={"username": "admin", "password": f"guess{i}"}, headers=as_(ATTACKER))
            self.assertEqual(res.status_code, 401)
        t0 = time.monotonic()
        wait_for(lambda: client.get(base + "/", headers=as_(ATTACKER)).status_code == 403, 30, "the attacker's 403")
        print(f"\n  five failed logins reported → 403 for that client after {time.monotonic() - t0:.2f} s (default intervals)", flush=True)
        self.assertEqual(client.get(base + "/", headers=as_(OTHER)).status_code, 200)
        status, decisions = server.api("GET", f"/api/v1/decisions?ip={ATTACKER}")
        self.assertEqual(status, 200)
        self.assertEqual(decisions["items"][0]["type"], "ban")
        self.assertEqual(decisions["items"][0]["value"], ATTACKER)

        # 2. Twelve 500 answers from the app (uncaught exceptions; uvicorn drops
        # the connection after one, so each goes on a connection of its own).
        for _ in range(12):
            res = client.get(base + "/checkout", headers={**as_(OTHER), "connection": "close"})
            self.assertEqual(res.status_code, 500)
        incident = wait_for(
            lambda: (server.api("GET", "/api/v1/incidents?type=high_error_rate")[1] or {}).get("items"), 30, "a high_error_rate incident"
        )[0]
        self.assertEqual(incident["type"], "high_error_rate")
        self.assertEqual(incident["status"], "triggered")

        # 3. Firebreak stopped: the app keeps serving and keeps enforcing the known ban.
        server.stop()
        wait_for(lambda: not guard.healthy, 30, "the guard to notice the outage")
        self.assertEqual(client.get(base + "/", headers=as_(OTHER)).status_code, 200)
        self.assertEqual(client.get(base + "/", headers=as_(ATTACKER)).status_code, 403)
        for i in range(5):  # reported while Firebreak is down: queued, never blocking the request
            self.assertEqual(client.post(base + "/login", json={"username": "x", "password": "y"}, headers=as_(OTHER)).status_code, 401)
        self.assertEqual(client.get(base + "/", headers=as_(ATTACKER)).status_code, 403)
        self.assertGreater(reporter.pending, 0)

        # Started again: the guard re-syncs (a full startup pull) and the queued events are delivered.
        sent_before = reporter.sent
        server.start()
        wait_for(lambda: guard.healthy, 30, "the guard to re-sync")
        self.assertEqual(guard.check(ATTACKER).action, "ban")
        wait_for(lambda: reporter.sent > sent_before and reporter.pending == 0, 60, "the queued events to be delivered")


if __name__ == "__main__":
    unittest.main()
