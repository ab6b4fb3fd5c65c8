"""The FastAPI application: JSON API, Open311, and the pages. Routes stay thin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from dashboard.deps import LSN_COOKIE, LSN_COOKIE_SECONDS, LSN_HEADER, READ_METHODS
from dashboard.guard import RequestGuard
from dashboard.shedding import LoadShedder, request_limit
from dashboard.templating import LoginRedirect, PageForbidden, templates
from envpetition import auth
from envpetition.db import create_pool
from envpetition.db_routing import ReadRouter, replica_urls
from envpetition.errors import DomainError
from envpetition.servers import Services
from envpetition.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings, services: Services) -> FastAPI:
    """Build the app; the pool opens and closes with the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = create_pool(
            services.database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size
        )
        app.state.reads = ReadRouter(app.state.pool, replica_urls(settings.database_replica_url),
                                     max_lag_s=settings.replica_max_lag_s, pool_max_size=settings.pool_max_size).open()
        try:
            yield
        finally:
            app.state.reads.close()
            app.state.pool.close()

    app = FastAPI(
        title="EnvPetition API",
        description="环境信访投诉监测与调度 / environmental complaint monitoring and dispatch",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(RequestGuard, max_body=settings.max_body_bytes, secure_cookies=settings.https)
    # Outermost: a request over the limit is refused before anything reads its body or takes a connection.
    app.add_middleware(LoadShedder, limit=settings.max_requests_in_progress or request_limit(settings.pool_max_size))
    app.state.services = services

    @app.middleware("http")
    async def read_your_own_writes(request: Request, call_next: Any) -> Response:
        """After a write, remember the primary's WAL position: the user's next pages wait for it."""
        response: Response = await call_next(request)
        reads: ReadRouter | None = getattr(app.state, "reads", None)
        if reads is not None and reads.pools:
            if request.method not in READ_METHODS and response.status_code < 400:
                lsn = await run_in_threadpool(reads.primary_lsn)
                response.set_cookie(LSN_COOKIE, lsn, max_age=LSN_COOKIE_SECONDS, httponly=True, samesite="lax")
                response.headers[LSN_HEADER] = lsn
            where = getattr(request.state, "read_from", None)
            if where:
                response.headers["X-Read-From"] = where
        return response

    @app.exception_handler(LoginRedirect)
    async def login_redirect(request: Request, exc: LoginRedirect) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(PageForbidden)
    async def page_forbidden(request: Request, exc: PageForbidden) -> Response:
        return templates.TemplateResponse(request, "message.html", {
            "user": exc.user, "role_label": auth.ROLE_LABELS[exc.user.role], "message": exc.detail}, status_code=403)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": str(exc)})

    from dashboard.routes import (
        core,
        dispatch,
        incidents,
        ingest,
        maps,
        monitoring,
        pages,
        pages_dispatch,
        pages_hotspots,
        pages_intake,
        pages_monitoring,
        pages_team,
        pages_trace,
    )

    for module in (core, ingest, monitoring, incidents, dispatch, maps, pages, pages_hotspots, pages_intake,
                   pages_monitoring, pages_team, pages_trace, pages_dispatch):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
