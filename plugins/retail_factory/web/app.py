"""The factory's pages as a FastAPI app, mounted by the plugin under ``/retail-factory``.

Behind Airflow's own login: every page asks Airflow's auth manager whether the caller (the
session cookie the UI set, or a bearer token) may read DAGs; someone not logged in is sent to
Airflow's login page and back. Links are relative, so the pages work under any base URL and
inside the UI's frame. Pages read only: the warehouse opened read-only, the reports in Blob.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from retail_factory.forecasting.outputs import AT_RISK
from retail_factory.web import board, quality, tracing

log = logging.getLogger(__name__)

URL_PREFIX = "/retail-factory"
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)
BUSY_RETRY_SECONDS = 10


class WarehouseBusyError(RuntimeError):
    """A DAG task holds the DuckDB file for writing: read again in a moment."""


class NothingYetError(LookupError):
    """The tables a page reads do not exist yet: the DAGs that write them have not run."""


def _reader() -> Any:
    """Airflow's own check: the caller is logged in and may read DAGs (the factory's data)."""
    from airflow.api_fastapi.core_api.security import requires_access_dag

    return Depends(requires_access_dag("GET"))


@contextmanager
def warehouse_session() -> Iterator[Any]:
    """A read-only session on the warehouse, with the reasons it can fail said plainly."""
    import duckdb

    from retail_factory.warehouse.connections import get_warehouse

    warehouse = get_warehouse()
    if warehouse.kind == "duckdb" and not warehouse.path.exists():  # type: ignore[attr-defined]
        raise NothingYetError(f"no warehouse yet at {warehouse.path}: run the transform DAG first")  # type: ignore[attr-defined]
    try:
        with warehouse.session(read_only=True) as query:
            yield query
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusyError(str(error)) from error
        raise
    except Exception as error:
        if warehouse.is_missing_table(error):  # DuckDB's, PostgreSQL's or Spark's "no such table"
            raise NothingYetError(str(error).splitlines()[0]) from error
        raise


def _relative_root(request: Request) -> str:
    """The app's root relative to the page (``./``, ``../``): links that survive any base URL."""
    inner = request.url.path[len(request.scope.get("root_path", "")) :]
    return "../" * max(inner.count("/") - 1, 0) or "./"


def _page(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    root = _relative_root(request)
    body = TEMPLATES.get_template(template).render(root=root, airflow=root + "../", at_risk=AT_RISK, **values)
    return HTMLResponse(body, status_code=status_code, headers={"Content-Security-Policy": "frame-ancestors 'self'"})


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"date {value!r} is not a date (YYYY-MM-DD)") from None


def create_app() -> FastAPI:
    app = FastAPI(title="Retail Data Factory", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(WarehouseBusyError, _busy)  # type: ignore[arg-type]
    app.add_exception_handler(NothingYetError, _nothing_yet)  # type: ignore[arg-type]
    app.include_router(pages, dependencies=[_reader()])
    app.add_api_route("/", lambda: RedirectResponse("stockouts", status_code=307), include_in_schema=False)
    return app


async def _http_error(request: Request, error: HTTPException) -> Response:
    if error.status_code == 401:  # not logged in: Airflow's login page, then back here
        from airflow.api_fastapi.app import get_auth_manager

        login = get_auth_manager().get_url_login()
        return RedirectResponse(f"{login}?next={quote(str(request.url), safe='')}", status_code=303)
    title = "Not allowed" if error.status_code == 403 else "Cannot show this"
    return _page(request, "message.html", error.status_code, title=title, message=str(error.detail))


async def _busy(request: Request, error: WarehouseBusyError) -> Response:
    message = (
        "A DAG task is writing the warehouse right now (DuckDB has one writer). "
        f"This page tries again in {BUSY_RETRY_SECONDS} seconds."
    )
    return _page(request, "message.html", 503, title="The warehouse is busy", message=message,
                 refresh=BUSY_RETRY_SECONDS)  # fmt: skip


async def _nothing_yet(request: Request, error: NothingYetError) -> Response:
    message = (
        "The DAGs that write this page's tables have not run yet. Run a day through the factory "
        "(make demo, or trigger land_retail, land_supply and land_producer) and come back."
    )
    return _page(request, "message.html", 200, title="Nothing to show yet", message=message, detail=str(error))


pages = APIRouter()


def _run_date(query: Any, date: str | None) -> dt.date:
    as_of = _date(date) or board.latest_run_date(query)
    if as_of is None:
        raise NothingYetError("the forecast_stockouts DAG has not run yet")
    return as_of


@pages.get("/stockouts", response_class=HTMLResponse)
def stockouts(request: Request, date: str | None = None) -> HTMLResponse:
    with warehouse_session() as query:
        as_of = _run_date(query, date)
        stores = board.stores_at_risk(query, as_of)
        dates = board.run_dates(query)
    return _page(request, "stockouts.html", as_of=as_of, stores=stores, dates=dates)


@pages.get("/stockouts/{store_id}", response_class=HTMLResponse)
def store(request: Request, store_id: str, date: str | None = None) -> HTMLResponse:
    with warehouse_session() as query:
        as_of = _run_date(query, date)
        risks = board.store_risks(query, as_of, store_id)
    if not risks:
        raise HTTPException(404, f"no forecast for store {store_id} on {as_of}")
    return _page(request, "store.html", as_of=as_of, store_id=store_id, risks=risks)


@pages.get("/stockouts/{store_id}/{gtin}.png")
def plot(store_id: str, gtin: str, date: str = Query(...)) -> Response:
    with warehouse_session() as query:
        as_of = _run_date(query, date)
        png = board.risk_plot(query, as_of, store_id, gtin)
    if png is None:
        raise HTTPException(404, f"no forecast of {gtin} in store {store_id} on {as_of}")
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@pages.get("/trace", response_class=HTMLResponse)
def trace(request: Request, q: str = "") -> HTMLResponse:
    if not q.strip():
        return _page(request, "trace.html", found=None, picture=None, q="")
    found = tracing.search(warehouse_session, q)
    picture = None
    if found.forward is not None and found.backward is not None:
        picture = tracing.genealogy_svg(found.forward, found.backward)
    return _page(request, "trace.html", found=found, picture=picture, q=q)


@pages.get("/quality", response_class=HTMLResponse)
def data_quality(request: Request, date: str | None = None) -> HTMLResponse:
    from retail_factory.storage import blob_service

    service = blob_service()
    dates = quality.gate_dates(service)
    shown = date or (dates[0] if dates else None)
    try:
        with warehouse_session() as query:
            rejected = quality.rejected_rows(query)
    except NothingYetError:
        rejected = []
    gates = quality.gate_results(service, shown) if shown else []
    files, row_files = quality.quarantined_files(service), quality.files_with_rejected_rows(service)
    return _page(request, "quality.html", dates=dates, shown=shown, rejected=rejected, gates=gates, files=files,
                 row_files=row_files)  # fmt: skip


@pages.get("/quality/report/{path:path}")
def quality_report(path: str) -> Response:
    """The gates' Data Docs, served from ``reports/quality/`` in Blob."""
    import mimetypes

    from azure.core.exceptions import ResourceNotFoundError

    from retail_factory.config import get_settings
    from retail_factory.quality.gate import REPORT_PREFIX
    from retail_factory.storage import blob_service

    if ".." in path.split("/"):
        raise HTTPException(404, "no such report")
    blob = blob_service().get_blob_client(get_settings().reports_container, f"{REPORT_PREFIX}/{path}")
    try:
        content = blob.download_blob().readall()
    except ResourceNotFoundError:
        raise HTTPException(404, f"no report reports/{REPORT_PREFIX}/{path}") from None
    return Response(content, media_type=mimetypes.guess_type(path)[0] or "application/octet-stream")
