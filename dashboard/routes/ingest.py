"""Routes of the ingest package (JSON API)."""

from fastapi import APIRouter

router = APIRouter(tags=["ingest"])
