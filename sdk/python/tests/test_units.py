"""The pieces without a server: addresses, Go durations, the decision set,
token buckets, which address is the client's, the guard's sync against a
stream that fails."""

import http.server
import json
import threading
import unittest

from firebreak import ALLOW, Guard
from firebreak._duration import parse_go_duration
from firebreak._ip import canonical_ip, parse_ip, parse_network
from firebreak.client_ip import ClientAddress, strip_port
from firebreak.decisions import DecisionSet
from firebreak.token_bucket import TokenBuckets

from .support import wait_for


def ban(i, value, scope="Ip", type="ban", duration="1h"):
    return {"id": i, "origin": "firebreak", "scenario": "t", "type": type, "scope": scope, "value": value, "duration": duration}


class AddressTest(unittest.TestCase):
    def test_spellings_land_on_one_key(self):
        self.assertEqual(parse_ip("203.0.113.5"), parse_ip("::ffff:203.0.113.5"))
        self.assertEqual(parse_ip("2001:DB8:0:0::1"), parse_ip("2001:db8::1"))
        self.assertEqual(parse_ip("fe80::1%eth0"), parse_ip("fe80::1"))
        for bad in ["", "1.2.3", "01.2.3.4", "1.2.3.256", "203.0.113.5 ", "::g", "1::2::3", "example.com"]:
            self.assertIsNone(parse_ip(bad), bad)

    def test_networks(self):
        self.assertEqual(parse_network("203.0.113.77/24"), (4, 24, parse_ip("203.0.113.0")[1]))
        self.assertEqual(parse_network("::ffff:203.0.113.0/120"), (4, 24, parse_ip("203.0.113.0")[1]))
        self.assertEqual(parse_network("2001:db8::1"), (6, 128, parse_ip("2001:db8::1")[1]))
        for bad in ["203.0.113.0/33", "2001:db8::/129", "1.2.3.4/x", "1.2.3.4/", None, 5]:
            self.assertIsNone(parse_network(bad), bad)

    def test_canonical(self):
        self.assertEqual(canonical_ip("::ffff:203.0.113.5"), "203.0.113.5")
        self.assertEqual(canonical_ip("2001:DB8:0:0:0:0:0:1"), "2001:db8::1")
        self.assertIsNone(canonical_ip("nope"))

    def test_go_durations(self):
        cases = {"1h0m0s": 3600, "59m58.5s": 3598.5, "300ms": 0.3, "-2.5s": -2.5, "0": 0, "1.5h": 5400, "2us": 2e-6}
        for text, want in cases.items():
            self.assertAlmostEqual(parse_go_duration(text), want, places=9, msg=text)
        for bad in ["", "1x", "h", "1h 2m", None]:
            self.assertIsNone(parse_go_duration(bad), bad)


class DecisionSetTest(unittest.TestCase):
    def test_exact_ranges_ban_wins_expiry_removal(self):
        s = DecisionSet()
        now = [1000.0]
        clock = lambda: now[0]  # noqa: E731
        self.assertTrue(s.add(ban(1, "203.0.113.5"), now[0]))
        self.assertTrue(s.add(ban(2, "198.51.100.0/24", "Range", "rate_limit"), now[0]))
        self.assertTrue(s.add(ban(3, "198.51.100.0/28", "Range", duration="10s"), now[0]))
        self.assertTrue(s.add(ban(4, "2001:db8:1::/48", "Range"), now[0]))
        self.assertFalse(s.add(ban(5, "alice", "User"), now[0]), "non-IP scopes are not ours")
        self.assertFalse(s.add(ban(6, "203.0.113.9", duration="-1s"), now[0]), "already expired")
        self.assertFalse(s.add(ban(7, "not-an-ip"), now[0]))
        self.assertEqual(len(s), 4)
        self.assertEqual(s.ignored, 3)
        m = lambda ip: s.match(*parse_ip(ip), clock)  # noqa: E731
        self.assertEqual(m("203.0.113.5").id, 1)
        self.assertIsNone(m("203.0.113.6"))
        self.assertEqual(m("198.51.100.5").id, 3, "a ban wins over a rate limit, whatever the prefix")
        self.assertEqual(m("198.51.100.200").id, 2)
        self.assertEqual(m("2001:db8:1:ffff::1").id, 4)
        self.assertIsNone(m("2001:db8:2::1"))
        now[0] += 11
        self.assertEqual(m("198.51.100.5").id, 2, "an expired decision stops matching before any sweep")
        self.assertEqual(s.sweep(now[0]), 1)
        s.remove({"id": 999, "value": "203.0.113.5", "type": "ban"})
        self.assertIsNone(m("203.0.113.5"), "unknown id: removed by value and type")
        s.remove(ban(4, "2001:db8:1::/48", "Range"))
        self.assertIsNone(m("2001:db8:1::1"))
        self.assertEqual(len(s), 1)
        self.assertEqual(len(s.levels6), 0, "empty levels are dropped")

    def test_wide_ranges_skip_the_gate(self):
        s = DecisionSet()
        clock = lambda: 0.0  # noqa: E731
        m = lambda ip: s.match(*parse_ip(ip), clock)  # noqa: E731
        s.add(ban(1, "203.0.113.5"), 0.0)
        self.assertIsNone(m("10.200.1.1"))
        s.add(ban(2, "10.0.0.0/8", "Range"), 0.0)
        s.add(ban(3, "2001::/16", "Range"), 0.0)
        self.assertEqual(m("10.200.1.1").id, 2, "a range shorter than the /16 gate")
        self.assertEqual(m("2001:ffff::1").id, 3, "a range shorter than the /32 gate")
        self.assertEqual(m("203.0.113.5").id, 1)
        s.remove_by_id(2)
        s.remove_by_id(3)
        self.assertIsNone(m("10.200.1.1"))
        self.assertEqual((s.fast4[3], s.fast6[3]), (False, False), "no wide range left")
        s.add(ban(4, "10.1.0.0/16", "Range"), 0.0)
        self.assertEqual(m("10.1.255.255").id, 4)
        self.assertIsNone(m("10.2.0.1"))
        s.remove_by_id(4)
        self.assertEqual(s._gate4, {}, "gate counts return to zero")

    def test_unknown_types(self):
        s = DecisionSet()
        self.assertTrue(s.add(ban(1, "203.0.113.5", type="captcha"), 0))
        self.assertTrue(s.match(*parse_ip("203.0.113.5"), lambda: 0).ban)
        allow = DecisionSet("allow")
        self.assertFalse(allow.add(ban(1, "203.0.113.5", type="captcha"), 0))


class TokenBucketTest(unittest.TestCase):
    def test_burst_then_refill(self):
        b = TokenBuckets(rate_per_sec=1, burst=3)
        self.assertEqual([b.take(1, 0.0) for _ in range(5)], [0, 0, 0, 1, 1])
        self.assertEqual(b.take(1, 1.0), 0, "one token a second")
        self.assertEqual(b.take(1, 1.0), 1)
        b.prune(100.0)
        self.assertEqual(len(b), 0, "a full bucket is forgotten")

    def test_cap(self):
        b = TokenBuckets(rate_per_sec=2, burst=3, max_buckets=2)
        b.take(1, 0.0)
        b.take(2, 0.0)
        self.assertEqual(b.take(3, 0.0), 1, "at the cap a new address is limited at once")


class ClientAddressTest(unittest.TestCase):
    def test_right_most_untrusted(self):
        c = ClientAddress(["127.0.0.1", "::1", "10.0.0.0/8"])
        r = c.resolve
        self.assertEqual(r("127.0.0.1", ["203.0.113.5"]), "203.0.113.5")
        self.assertEqual(r("::ffff:127.0.0.1", ["203.0.113.5"]), "203.0.113.5", "mapped peer")
        self.assertEqual(r("127.0.0.1", ["203.0.113.5, 198.51.100.1"]), "198.51.100.1")
        self.assertEqual(r("127.0.0.1", ["203.0.113.5, 10.1.2.3"]), "203.0.113.5", "trusted hops are skipped")
        self.assertEqual(r("127.0.0.1", ["203.0.113.5", "10.1.2.3"]), "203.0.113.5", "several headers are one list")
        self.assertEqual(r("127.0.0.1", ["10.9.9.9, 10.1.2.3"]), "10.9.9.9")
        self.assertEqual(r("127.0.0.1", ["[2001:db8::5]:443"]), "2001:db8::5")
        self.assertEqual(r("192.0.2.1", ["203.0.113.5"]), "192.0.2.1", "an untrusted peer's header is ignored")
        self.assertEqual(r("127.0.0.1", []), "127.0.0.1")
        self.assertEqual(ClientAddress().resolve("127.0.0.1", ["203.0.113.5"]), "127.0.0.1", "nothing trusted by default")
        self.assertEqual(strip_port("203.0.113.5:8080"), "203.0.113.5")
        with self.assertRaises(ValueError):
            ClientAddress(["not-a-network"])


class _Stream(http.server.BaseHTTPRequestHandler):
    answers = []
    pulls = []

    def do_GET(self):  # noqa: N802
        type(self).pulls.append(self.path)
        status, body = type(self).answers.pop(0) if type(self).answers else (503, {})
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *a):
        pass


class GuardSyncTest(unittest.TestCase):
    def test_failures_keep_enforcing_and_force_a_full_resync(self):
        _Stream.answers = [
            (200, {"new": [ban(1, "203.0.113.5")], "deleted": []}),
            (200, {"new": [ban(2, "203.0.113.6")], "deleted": None}),
            (500, {"message": "boom"}),
            (200, {"new": [ban(2, "203.0.113.6")], "deleted": [ban(1, "203.0.113.5")]}),
        ]
        _Stream.pulls = []
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stream)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        errors = []
        g = Guard(f"http://127.0.0.1:{srv.server_address[1]}", "key", poll_interval=0.02, max_backoff=0.05, on_error=errors.append)
        self.addCleanup(g.close)
        wait_for(lambda: len(_Stream.pulls) >= 5, 10, "five pulls")
        self.assertEqual(_Stream.pulls[0], "/v1/decisions/stream?startup=true")
        self.assertEqual(_Stream.pulls[1], "/v1/decisions/stream")
        self.assertEqual(_Stream.pulls[3], "/v1/decisions/stream?startup=true", "after a failure: a full re-sync")
        self.assertEqual(g.check("203.0.113.6").action, "ban")
        self.assertIs(g.check("203.0.113.5"), ALLOW, "the startup answer replaced the set (its deleted list is moot)")
        self.assertIn("HTTP 500", str(errors[0]))
        wait_for(lambda: not g.healthy, 5, "unhealthy once the stream keeps failing")
        self.assertEqual(g.check("203.0.113.6").action, "ban", "still enforcing while the stream fails")

    def test_rejects_bad_options(self):
        with self.assertRaises(ValueError):
            Guard("", "k", start=False)
        with self.assertRaises(ValueError):
            Guard("http://x", "k", poll_interval=0, start=False)
        g = Guard("http://127.0.0.1:9", "k", start=False)
        g.apply({"new": [ban(1, "0.0.0.0/0", "Range"), ban(2, "::/0", "Range")]}, True)
        self.assertEqual(g.check("1.2.3.4").action, "ban")
        for junk in [None, 5, b"1.2.3.4", "", "1.2.3.4.5"]:
            self.assertIs(g.check(junk), ALLOW)


if __name__ == "__main__":
    unittest.main()
