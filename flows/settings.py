"""Configuration in one place: environment variables with the FISCAL_ prefix (or a .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PIPELINE_VERSION = "0.1.0"


class Settings(BaseSettings):
    """Runtime settings; every field can be set as FISCAL_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="FISCAL_", env_file=".env", extra="ignore")

    warehouse_url: str = "sqlite:///data/warehouse.sqlite"
    data_dir: Path = Path("data")
    sources_file: Path = Path("sources.yaml")
    #: where the documents of `fiscal run` come from (dim_department.region / city); sources.yaml sets them per source
    region: str | None = None
    city: str | None = None

    @property
    def raw_dir(self) -> Path:
        """Content-addressed store of every received file."""
        return self.data_dir / "raw"

    @property
    def docs_dir(self) -> Path:
        """Great Expectations Data Docs (static HTML), written per run when asked."""
        return self.data_dir / "docs"

    @property
    def quarantine_dir(self) -> Path:
        """Extracted cells and reasons of documents that did not load."""
        return self.data_dir / "quarantine"
