"""Harvest commands of `fiscal`: harvest, rerun, serve."""

from __future__ import annotations

import typer


def register(app: typer.Typer, *sub_apps: typer.Typer) -> None:
    """Add this module's commands to the `fiscal` app (and its sub-apps)."""
