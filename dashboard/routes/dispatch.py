"""Routes of the dispatch package (JSON API)."""

from fastapi import APIRouter

router = APIRouter(tags=["dispatch"])
