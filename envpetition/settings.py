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
    https: bool = False  # served over HTTPS (directly or behind a proxy): session cookies get ``Secure``
    max_requests_in_progress: int | None = None  # above it: 503 + Retry-After at once; None: pool size - 2
    max_body_bytes: int = 1_048_576  # larger request bodies are refused with 413 before any route reads them
    vote_reopen_days: float = 30.0  # "unsatisfied" reopens a case closed at most this many days ago
    log_level: str = "INFO"
    # Metric CRS for every distance (e.g. "EPSG:4548"); empty: chosen from the areas' extent.
    metric_crs: str = ""
    # Maps (see dashboard/basemap.py). No tiles by default: the city's own layers are the base map.
    map_tiles_url: str | None = None  # XYZ/WMTS raster template with {z} {x} {y}, e.g. a 天地图 node + tk
    map_label_tiles_url: str | None = None  # a second raster drawn over the first (天地图 cva_w annotations)
    map_tiles_attribution: str = ""
    map_vector_tiles: Path | None = None  # an MBTiles file of vector tiles, served by the app
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
