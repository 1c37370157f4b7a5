"""The review statuses and decisions (DESIGN.md "Schema"): one list for the store, the
command line and the desk, importable without loading the database layer."""

from __future__ import annotations

REVIEW_STATUSES = ("pending", "in_review", "scam", "legit", "needs_info", "skipped")
DECISIONS = ("scam", "legit", "needs_info", "skipped")
