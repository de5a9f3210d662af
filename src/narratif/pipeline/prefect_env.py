"""Prefect environment: offline, analytics off, home inside a narratif-owned folder.

Must run before ``prefect`` is imported, since Prefect reads its settings then.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect(home: str | Path | None = None) -> Path:
    """Set Prefect's environment defaults (explicit user settings win)."""
    home = Path(os.environ.get("PREFECT_HOME") or home or Path.cwd() / ".prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "true")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_TASKS_REFRESH_CACHE", "false")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    return home
