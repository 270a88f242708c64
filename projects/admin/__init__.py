"""Admin classes, one module per domain."""

from __future__ import annotations

from projects.admin import connections, labeling, sync, workforce

__all__ = ["connections", "labeling", "sync", "workforce"]
