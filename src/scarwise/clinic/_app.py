"""``create_app(settings)``: engine, migrations, routers and the one ScarwiseError handler."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from scarwise.clinic import pages
from scarwise.clinic._db import make_engine, make_reader, make_sessionmaker, migrate
from scarwise.clinic._errors import RateLimitedError
from scarwise.clinic._scans import BlobStore, clean_blob_store, fail_dead_scans
from scarwise.clinic._security import Security
from scarwise.clinic._settings import Settings
from scarwise.clinic.learn import router as learn_router
from scarwise.clinic.routes import auth, care, outcomes, patients, plans, report, rights, scans
from scarwise.clinic.routes import capture as capture_routes
from scarwise.core.errors import ScarwiseError


def _wants_html(request: Request) -> bool:
    """Pages answer HTML unless the client asks for JSON only; the API always answers JSON."""
    accept = request.headers.get("accept", "")
    return not request.url.path.startswith("/api") and ("text/html" in accept or "json" not in accept)


class _UploadLimit:
    """ASGI middleware: 413 from Content-Length, before a large upload is received and spooled."""

    def __init__(self, app: Any, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes  # the file plus room for the other form fields

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.max_bytes:
                message = (f"the upload is larger than {self.max_bytes / 2**20 - 1:g} MiB; crop the scan or raise "
                           "SCARWISE_MAX_UPLOAD_MB")
                await JSONResponse({"detail": message}, status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                 b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"),
]

# only over HTTPS (directly or via a proxy's X-Forwarded-Proto): browsers ignore it on plain HTTP anyway
_HSTS = [(b"strict-transport-security", b"max-age=31536000; includeSubDomains")]


class _SecurityHeaders:
    """ASGI middleware: no sniffing, no framing, same-origin referrers, a strict content policy."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/docs"):  # Swagger UI loads from a CDN
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                extra = [*_SECURITY_HEADERS, *(_HSTS if scope.get("scheme") == "https" else [])]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the clinic app: migrate the database, fail scans whose worker died, mount routes.

    Parameters
    ----------
    settings : Settings, optional
        Configuration; read from ``SCARWISE_*`` environment variables when omitted.
    """
    settings = settings or Settings()
    engine = make_engine(settings)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        fail_dead_scans(db, stale_s=settings.scan_stale_s)
        # files a killed upload left: .upload-* temporaries, blobs whose row was never committed
        clean_blob_store(db, BlobStore(settings.resolved_data_dir() / "blobs"), grace_s=settings.stale_file_s)

    app = FastAPI(title="scarwise clinic", version="0.1.0", openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.reader = make_reader(engine)  # short reads on the event loop (_reads.py)
    app.state.security = Security(settings)
    app.state.blobs = BlobStore(settings.resolved_data_dir() / "blobs")

    app.add_middleware(_SecurityHeaders)
    app.add_middleware(_UploadLimit, max_bytes=int(settings.max_upload_mb * 2**20) + 2**20)

    api = APIRouter(prefix="/api")
    for module in (auth, patients, scans, care, rights, report, plans, outcomes):
        api.include_router(module.router)
    app.include_router(api)

    app.include_router(learn_router)  # public /learn pages, no sign-in
    capture_routes.mount(app)  # photometric sets and colour maps (API and page forms)
    pages.mount(app)

    @app.exception_handler(ScarwiseError)
    def _scarwise_error(request: Request, exc: ScarwiseError) -> Response:
        headers = {}
        if isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(exc.retry_after_s)
        if exc.http_status == 401 and request.url.path.startswith("/api"):
            headers["WWW-Authenticate"] = "Bearer"
        if _wants_html(request):
            return pages.error_page(request, exc.http_status, str(exc), headers=headers)
        return JSONResponse({"detail": str(exc)}, status_code=exc.http_status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = 422 if exc.status_code == 400 else exc.status_code  # unparsable body: 422, never 400/5xx
        if _wants_html(request):
            return pages.error_page(request, status, str(exc.detail))
        return JSONResponse({"detail": exc.detail}, status_code=status, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        if _wants_html(request):
            return pages.error_page(request, 422, "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors if e["loc"]))
        return JSONResponse({"detail": errors}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> HTMLResponse:
        return HTMLResponse("ok")

    return app
