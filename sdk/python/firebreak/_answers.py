"""The answers sent to blocked clients: Firebreak's API error shape, as the Node SDK sends them."""

import json

FORBIDDEN_BODY = json.dumps(
    {"error": {"code": "forbidden", "message": "Access from your address is blocked."}}, separators=(",", ":")
).encode()
RATE_LIMITED_BODY = json.dumps(
    {"error": {"code": "rate_limited", "message": "Too many requests from your address; retry later."}},
    separators=(",", ":"),
).encode()
JSON_TYPE = "application/json; charset=utf-8"
