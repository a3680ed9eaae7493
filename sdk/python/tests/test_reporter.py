"""Reporter and request reporting against a loopback ingest endpoint that
records batches and answers as scripted: batching, the http.request shape
(method, route template, status, latency; exceptions as 500), retries with
Retry-After, bounded queue with counted drops, close() flushing."""

import http.server
import json
import threading
import time
import unittest

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from firebreak import FirebreakMiddleware, FirebreakWSGIMiddleware, Reporter

from .support import AppServer, free_port, wait_for


class Ingest:
    def __init__(self):
        self.batches = []
        self.answers = []
        self.reply_body = b"{}"
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status, headers = outer.answers.pop(0) if outer.answers else (202, {})
                outer.batches.append({"auth": self.headers["Authorization"], "status": status, "events": json.loads(raw)})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(outer.reply_body)))
                self.end_headers()
                self.wfile.write(outer.reply_body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def events(self, accepted_only=True):
        return [e for b in self.batches if not accepted_only or b["status"] == 202 for e in b["events"]]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class ReporterTest(unittest.TestCase):
    def setUp(self):
        self.ingest = Ingest()
        self.addCleanup(self.ingest.close)

    def test_login_events_batched_with_the_token(self):
        r = Reporter(self.ingest.url, "ingest-token", flush_interval=0.05)
        self.addCleanup(r.close)
        r.login_failed("::ffff:203.0.113.5", user_id="alice", route="/login")
        r.login_succeeded("2001:DB8::1", user_id="bob")
        r.event("app.error", message="boom", attrs={"k": 1})
        r.login_failed(None)  # no address: useless to the per-IP rules
        r.event("bad type!")
        r.event("x.y", ip="not-an-ip")
        wait_for(lambda: r.sent == 3, 10, "three events sent")
        self.assertEqual(r.dropped, 3)
        self.assertEqual(self.ingest.batches[0]["auth"], "Bearer ingest-token")
        evs = self.ingest.events()
        self.assertEqual([e["type"] for e in evs], ["auth.login_failed", "auth.login_succeeded", "app.error"])
        self.assertEqual(evs[0]["ip"], "203.0.113.5")
        self.assertEqual(evs[0]["user_id"], "alice")
        self.assertEqual(evs[0]["route"], "/login")
        self.assertEqual(evs[1]["ip"], "2001:db8::1")
        self.assertRegex(evs[0]["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_retry_after_then_delivery_and_final_4xx_drops(self):
        self.ingest.answers = [(503, {"Retry-After": "0"}), (400, {})]
        r = Reporter(self.ingest.url, "t", flush_interval=0.05)
        self.addCleanup(r.close)
        r.event("a.b", ip="203.0.113.1")
        wait_for(lambda: len(self.ingest.batches) >= 2, 10, "a retry")
        self.assertEqual(self.ingest.batches[1]["events"], self.ingest.batches[0]["events"], "the same batch again")
        self.assertEqual(r.dropped, 1, "a 400 drops the batch: it would never be accepted")
        r.event("a.c")
        wait_for(lambda: r.sent == 1, 10, "the next event")

    def test_never_blocks_bounded_queue_counts_drops(self):
        # Nothing listens there: every send fails, the queue keeps the newest.
        r = Reporter(f"http://127.0.0.1:{free_port()}", "t", flush_interval=0.05, max_queue=5, max_batch=2)
        self.addCleanup(r.close, 0.5)
        with self.assertLogs("firebreak", "WARNING") as logs:
            for i in range(50):
                r.event("a.b", n=i)
            wait_for(lambda: r.dropped >= 45, 10, "drops counted")
        self.assertLessEqual(r.pending, 5)
        self.assertEqual(r.sent, 0)
        self.assertTrue(any("dropped" in line for line in logs.output), logs.output)

    def test_events_rejected_by_the_server_count_as_dropped(self):
        self.ingest.reply_body = b'{"accepted":1,"rejected":[{"index":1,"error":"ts must be an RFC 3339 string"}]}'
        r = Reporter(self.ingest.url, "t", flush_interval=0.05)
        self.addCleanup(r.close)
        with self.assertLogs("firebreak", "WARNING") as logs:
            r.event("a.b")
            r.event("a.c", ts="yesterday")
            wait_for(lambda: r.sent + r.dropped == 2, 10, "the answer")
        self.assertEqual((r.sent, r.dropped), (1, 1))
        self.assertTrue(any("rejected 1 event" in line and "RFC 3339" in line for line in logs.output), logs.output)

    def test_login_events_do_not_wait_for_the_flush_interval(self):
        r = Reporter(self.ingest.url, "t", flush_interval=3600)
        self.addCleanup(r.close)
        r.event("http.request", ip="203.0.113.1", status=200)
        for _ in range(5):
            r.login_failed("203.0.113.1", user_id="admin")
        wait_for(lambda: r.sent == 6, 10, "the logins (and what was queued before them)")
        self.assertLessEqual(len(self.ingest.batches), 2, "a burst of logins goes out together")

    def test_close_flushes(self):
        r = Reporter(self.ingest.url, "t", flush_interval=3600)
        for i in range(3):
            r.event("a.b", n=i)
        self.assertTrue(r.close())
        self.assertEqual([e["n"] for e in self.ingest.events()], [0, 1, 2])
        r.event("after.close")
        self.assertEqual(r.dropped, 1)


class RequestReportingTest(unittest.TestCase):
    def test_asgi_reports_method_route_template_status_latency_and_exceptions_as_500(self):
        ingest = Ingest()
        self.addCleanup(ingest.close)
        reporter = Reporter(ingest.url, "t", flush_interval=0.05)
        self.addCleanup(reporter.close)
        app = FastAPI()

        @app.get("/items/{item_id}")
        def item(item_id: int):
            return {"id": item_id}

        @app.post("/fail")
        def fail():
            return JSONResponse({"error": "no"}, status_code=503)

        @app.get("/boom")
        def boom():
            raise RuntimeError("boom")

        app.add_middleware(FirebreakMiddleware, reporter=reporter, trusted_proxies=["127.0.0.1"])
        srv = AppServer(app)
        self.addCleanup(srv.close)
        with httpx.Client(timeout=10) as c:
            base = f"http://127.0.0.1:{srv.port}"
            self.assertEqual(c.get(base + "/items/42", headers={"x-forwarded-for": "203.0.113.9"}).status_code, 200)
            self.assertEqual(c.post(base + "/fail").status_code, 503)
            # uvicorn drops the connection after an uncaught exception: ask for a connection of its own.
            self.assertEqual(c.get(base + "/boom", headers={"connection": "close"}).status_code, 500)
            self.assertEqual(c.get(base + "/nowhere").status_code, 404)
        wait_for(lambda: reporter.sent == 4, 10, "four request events")
        evs = ingest.events()
        self.assertTrue(all(e["type"] == "http.request" for e in evs))
        got = [(e["ip"], e["method"], e["route"], e["status"]) for e in evs]
        self.assertEqual(
            got,
            [
                ("203.0.113.9", "GET", "/items/{item_id}", 200),
                ("127.0.0.1", "POST", "/fail", 503),
                ("127.0.0.1", "GET", "/boom", 500),
                ("127.0.0.1", "GET", "/nowhere", 404),
            ],
        )
        self.assertTrue(all(isinstance(e["latency_ms"], (int, float)) and e["latency_ms"] >= 0 for e in evs))

    def test_wsgi_variant(self):
        from wsgiref.util import setup_testing_defaults

        from firebreak import Guard

        reported = []

        class Rec:
            def event(self, type, **f):
                reported.append((type, f["ip"], f["method"], f["route"], f["status"]))

        def app(environ, start_response):
            if environ["PATH_INFO"] == "/boom":
                raise RuntimeError("boom")
            start_response("201 Created", [("Content-Type", "text/plain")])
            return [b"ok"]

        guard = Guard("http://127.0.0.1:9", "k", start=False)
        guard.apply({"new": [{"id": 1, "type": "ban", "scope": "Ip", "value": "203.0.113.5", "duration": "1h"}]}, True)
        mw = FirebreakWSGIMiddleware(app, guard=guard, reporter=Rec(), trusted_proxies=["127.0.0.1"])

        def call(path, xff=None):
            env = {"PATH_INFO": path, "REMOTE_ADDR": "127.0.0.1"}
            if xff:
                env["HTTP_X_FORWARDED_FOR"] = xff
            setup_testing_defaults(env)
            got = {}
            body = mw(env, lambda status, headers, exc=None: got.update(status=status, headers=dict(headers)))
            data = b"".join(body)
            getattr(body, "close", lambda: None)()
            return got["status"], got["headers"], data

        status, headers, data = call("/x", "203.0.113.5")
        self.assertEqual(status, "403 Forbidden")
        self.assertEqual(json.loads(data)["error"]["code"], "forbidden")
        self.assertEqual(call("/x", "198.51.100.4")[0], "201 Created")
        with self.assertRaises(RuntimeError):
            call("/boom")
        self.assertEqual(reported, [("http.request", "198.51.100.4", "GET", "/x", 201), ("http.request", "127.0.0.1", "GET", "/boom", 500)])


if __name__ == "__main__":
    unittest.main()
