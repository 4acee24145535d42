"""The ``/learn`` router: five public pages (no sign-in), their figures and stylesheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from scarwise import __version__
from scarwise.clinic._i18n import pick_language
from scarwise.clinic.learn import _content as content
from scarwise.clinic.learn import _figures as figures
from scarwise.evidence import load_studies
from scarwise.report import RATIO_MEASURES, all_option_evidence, load_prices
from scarwise.therapy import PREDICTION_LABEL, get_protocol

_HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(_HERE / "templates"))
PAGES = ("how", "evidence", "scars", "clinic", "costs")
router = APIRouter(prefix="/learn", include_in_schema=False)


def _lang(request: Request) -> str:
    return pick_language(request.query_params.get("lang"), request.cookies.get("lang"),
                         request.headers.get("accept-language"))


def _cache_dir(request: Request) -> Path:
    # One folder per scarwise version and figure style, so an upgrade never serves stale drawings.
    return request.app.state.settings.resolved_data_dir() / "learn-cache" / f"{__version__}-{figures.STYLE}"


def _render(request: Request, page: str, context: dict[str, Any]) -> HTMLResponse:
    lang = _lang(request)
    settings = request.app.state.settings
    prices = context.get("prices_obj") or load_prices()
    s, t = content.strings(lang)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ctx = {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr", "s": s, "t": t, "page": page, "pages": PAGES,
           "clinic_name": settings.clinic_name or prices.clinic_name or "scarwise",
           "colour": content.brand_colour(settings.clinic_colour), "other_lang": "en" if lang == "ar" else "ar",
           "now": now, "forest_name": forest_name, **context}
    response = TEMPLATES.TemplateResponse(request, f"learn_{page}.html", ctx)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@router.get("", response_class=HTMLResponse)
def index(request: Request) -> Response:
    return _render(request, "index", {"table": load_studies()})


@router.get("/how", response_class=HTMLResponse)
def how(request: Request) -> Response:
    protocol = get_protocol(figures.MODEL_PROTOCOL)
    return _render(request, "how", {"table": load_studies(), "days": figures.MODEL_DAYS,
                                    "protocol": protocol, "model_label": PREDICTION_LABEL})


@router.get("/evidence", response_class=HTMLResponse)
def evidence(request: Request) -> Response:
    table = load_studies()
    return _render(request, "evidence", {"table": table, "ev": content.evidence_page(table, _lang(request))})


@router.get("/scars", response_class=HTMLResponse)
def scars(request: Request) -> Response:
    table = load_studies()
    return _render(request, "scars", {"table": table, "types": content.scar_types_page(table, _lang(request))})


@router.get("/clinic", response_class=HTMLResponse)
def clinic(request: Request) -> Response:
    table = load_studies()
    return _render(request, "clinic", {"table": table, "reg": content.regulation(table, _lang(request))})


@router.get("/costs", response_class=HTMLResponse)
def costs(request: Request) -> Response:
    table, prices = load_studies(), load_prices()
    return _render(request, "costs", {"table": table, "prices_obj": prices,
                                      "costs": content.costs_page(table, prices, _lang(request))})


@router.get("/static/learn.css")
def stylesheet() -> Response:
    return FileResponse(_HERE / "static" / "learn.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


@router.get("/figures/{name}.png")
def figure(request: Request, name: str) -> Response:
    cache = _cache_dir(request)
    if name.startswith("scar-") and name[5:] in content.SCAR_TYPES:
        path = figures.cached_png(cache, name, lambda p: figures.draw_scar_3d(name[5:], p))
    elif name.startswith("model-day") and name[9:].isdigit() and int(name[9:]) in figures.MODEL_DAYS:
        path = figures.draw_model_frames(cache)[int(name[9:])]
    elif name.startswith("forest-"):
        path = _forest(cache, name)
    else:
        raise figures.FigureNotFoundError(f"no figure named {name!r}")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


def forest_name(key: str, lang: str, version: str) -> str:
    """The figure name of an option's forest plot for one table version."""
    return f"forest-{key}-{lang}-{version}"


def _forest(cache: Path, name: str) -> Path:
    table = load_studies()
    for ev in all_option_evidence(table):
        for lang in ("en", "ar"):
            if ev.pooled is None or name != forest_name(ev.option.key, lang, table.version):
                continue
            pe = ev.pooled
            chosen = [s for s in table.studies if s.id in pe.studies]
            labels = [f"{s.first_author} {s.year or ''}".strip() for s in chosen]

            def draw(p: Path, pe: Any = pe, chosen: list = chosen, labels: list = labels, lang: str = lang) -> None:
                figures.draw_forest(p, labels=labels, yi=[s.yi for s in chosen], vi=[s.vi for s in chosen],
                                    result=pe.result, lang=lang, ratio=pe.measure in RATIO_MEASURES)

            return figures.cached_png(cache, name, draw)
    raise figures.FigureNotFoundError(f"no forest plot {name!r} for evidence table {table.version}")
