"""Server-rendered pages (placeholder; filled in below)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse


def mount(app: FastAPI) -> None:
    return None


def error_page(request: Request, status: int, message: str, *, headers: dict | None = None) -> HTMLResponse:
    return HTMLResponse(f"<p>{status}</p>", status_code=status, headers=headers)
