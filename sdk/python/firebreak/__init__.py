"""Firebreak for Python apps: enforce Firebreak's decisions and report events.

- ``Guard(url, api_key)``: mirrors bans and rate limits from Firebreak's
  CrowdSec-compatible bouncer stream; ``guard.check(ip)`` answers from memory.
- ``FirebreakMiddleware``: ASGI (FastAPI, Starlette); ``FirebreakWSGIMiddleware``: WSGI (Flask, Django).
- ``Reporter(url, token)``: ``login_failed``, ``login_succeeded``, ``event``; batched, never blocking.

Standard library only.
"""

from .asgi import FirebreakMiddleware
from .decisions import ALLOW, DecisionSet, Verdict
from .guard import Guard
from .reporter import Reporter
from .wsgi import FirebreakWSGIMiddleware

__all__ = ["ALLOW", "DecisionSet", "FirebreakMiddleware", "FirebreakWSGIMiddleware", "Guard", "Reporter", "Verdict"]
__version__ = "0.1.0"
