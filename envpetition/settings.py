"""Settings read from the environment; nothing is created at import time."""

from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    return platformdirs.user_data_path("envpetition")


class Settings(BaseSettings):
    """Every knob of the system. See the configuration table in README.md."""

    model_config = SettingsConfigDict(env_prefix="ENVPETITION_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "ENVPETITION_DATABASE_URL")
    )
    # Streaming standbys for reads (pages, GET API, bulletins, hotspots): one connection string or
    # several postgresql:// URLs separated by commas. Writes always go to DATABASE_URL.
    database_replica_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_REPLICA_URL", "ENVPETITION_DATABASE_REPLICA_URL")
    )
    replica_max_lag_s: float = 5.0
    mqtt_url: str | None = Field(default=None, validation_alias=AliasChoices("MQTT_URL", "ENVPETITION_MQTT_URL"))
    home: Path = Field(default_factory=default_home)
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    topic_prefix: str = "envpetition/v1"
    pool_min_size: int = 1
    pool_max_size: int = 8
    session_hours: int = 12
    log_level: str = "INFO"
    # Metric CRS for every distance (e.g. "EPSG:4548"); empty: chosen from the areas' extent.
    metric_crs: str = ""
    # Raw readings stay in PostgreSQL this long, then go to Parquet files in archive_dir
    # (plain PostgreSQL; TimescaleDB's retention policy says 400 days too). Rollups stay for ever.
    readings_retention_days: int = 400
    archive_dir: Path | None = None

    @property
    def readings_archive_dir(self) -> Path:
        return self.archive_dir or self.home / "archive"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.home / "pgdata"
