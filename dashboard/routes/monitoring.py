"""Routes of the monitoring package (JSON API)."""

from fastapi import APIRouter

router = APIRouter(tags=["monitoring"])
