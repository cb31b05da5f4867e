"""Prefect settings of the flow modules, set unless the environment gives them, before Prefect is imported.

Prefect reads them when it is first imported: flows/flow.py and flows/harvest.py import this module
before Prefect. The temporary Prefect server needs longer than its default 20 s to start on 2 cores,
and must not phone home from machines without network.
"""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
