"""Rendering helpers of the pages: templates, language, CSRF, errors."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from scarwise.clinic._errors import CsrfError
from scarwise.clinic._i18n import Formatter, pick_language
from scarwise.core.errors import InvalidParameterError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
TEMPLATES.env.auto_reload = False  # package data, never edited while serving: no stat() per page
BROWSER_COOKIE = "scarwise_browser"
LANG_COOKIE = "lang"


def _browser_id(request: Request) -> tuple[str, bool]:
    current = request.cookies.get(BROWSER_COOKIE)
    if current and len(current) <= 64:
        return current, False
    return request.state.__dict__.setdefault("new_browser_id", secrets.token_urlsafe(24)), True


def formatter(request: Request) -> Formatter:
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                         request.headers.get("accept-language"))
    digits = (request.query_params.get("digits") or request.cookies.get("digits")) == "arab"
    hijri = (request.query_params.get("cal") or request.cookies.get("cal")) == "hijri"
    return Formatter(lang, arabic_digits=digits, hijri=hijri)


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
           user: Any = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a page in the request's language with a CSRF token for its forms."""
    fmt = formatter(request)
    browser, new = _browser_id(request)
    security = request.app.state.security
    ctx = {"request": request, "user": user, "csrf": security.csrf_for(browser), **fmt.helpers(), **context}
    response = TEMPLATES.TemplateResponse(request, template, ctx, status_code=status, headers=headers)
    secure = request.app.state.settings.cookie_secure
    if new:
        response.set_cookie(BROWSER_COOKIE, browser, httponly=True, samesite="lax", secure=secure)
    if request.query_params.get("lang") == fmt.lang:
        response.set_cookie(LANG_COOKIE, fmt.lang, max_age=365 * 86400, samesite="lax", secure=secure)
    if request.query_params.get("cal") in ("hijri", "gregorian"):
        response.set_cookie("cal", request.query_params["cal"], max_age=365 * 86400, samesite="lax", secure=secure)
    if request.query_params.get("digits") in ("arab", "latn"):
        response.set_cookie("digits", request.query_params["digits"], max_age=365 * 86400, samesite="lax",
                            secure=secure)
    return response


def check_csrf(request: Request, token: str | None) -> None:
    if not request.app.state.security.check_csrf(request.cookies.get(BROWSER_COOKIE), token):
        raise CsrfError("this form has expired or came from another site; reload the page and submit again")


def error_page(request: Request, status: int, message: str, *, headers: dict | None = None) -> Response:
    if status == 401:
        return RedirectResponse("/login", status_code=303)
    return render(request, "error.html", {"status": status, "message": message}, status=status, headers=headers)


def validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """Validate form fields with the API's schema; errors become a 422 a user can read."""
    clean = {k: v for k, v in data.items() if v not in (None, "")}
    try:
        return model.model_validate(clean)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InvalidParameterError("; ".join(parts)) from None


def scan_form_fields(pixel_mm: str, visit_on: str) -> tuple[float | None, dt.date | None]:
    """The optional pixel size (mm) and visit date of a scan or capture form; blank means not given."""
    try:
        size = float(pixel_mm) if pixel_mm.strip() else None
        visit = dt.date.fromisoformat(visit_on) if visit_on.strip() else None
    except ValueError:
        raise InvalidParameterError("pixel size must be a number in mm and the visit a date (YYYY-MM-DD)") from None
    return size, visit


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
