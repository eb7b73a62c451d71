"""The forecast report of a run date, in ``reports/forecasts/<date>/`` (Blob), for store operations.

* ``index.html``: the run in figures (series, at risk, orders, models chosen per segment, stores
  without a stock record, stock records to count) and one line per region;
* ``region-<name>.html``: per store the products at risk before the next delivery, the order
  lines, and the top risks with a plot each;
* ``plots/<store>_<gtin>.png``: eight weeks of sales (stockout days shaded), the forecast's mean
  and p50-p95 band, and the stock projected until the next delivery;
* ``summary.json``: the ``ml.forecast_runs`` row.

Read from the ``ml`` tables the job wrote and the marts, so it can be rebuilt for any date.
Pages are Jinja templates (Airflow ships Jinja) and plots matplotlib, both without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from typing import TYPE_CHECKING, Any

import pandas as pd

from retail_factory.forecasting.outputs import AT_RISK
from retail_factory.warehouse.connections import Warehouse, get_warehouse

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

REPORT_PREFIX = "forecasts"
TOP_RISKS_PER_REGION = 8  # plotted; the table lists every series at risk
HISTORY_WEEKS = 8

_RISKS = """
select risks.*, coalesce(stores.region, 'unknown region') as region, stores.store_name, products.product_name,
    products.category
from ml.stockout_risks as risks
left join marts.dim_stores as stores on stores.store_id = risks.store_id
left join marts.dim_products as products on products.gtin = risks.gtin
where risks.as_of_date = ?
"""
_FORECASTS = "select store_id, gtin, forecast_date, mean, p50, p90, p95 from ml.demand_forecasts where as_of_date = ?"
_HISTORY = """
select stock.store_id, stock.gtin, stock.snapshot_date as date, coalesce(sales.units_sold, 0) as units_sold,
    stock.on_hand_qty
from marts.fct_inventory_daily as stock
left join marts.fct_sales_daily as sales
    on sales.store_id = stock.store_id and sales.gtin = stock.gtin and sales.sold_date = stock.snapshot_date
where stock.snapshot_date > ? and stock.snapshot_date <= ?
"""
_DETECTED = "select store_id, gtin, stockout_date from ml.detected_stockouts where as_of_date = ?"
_RUN = "select * from ml.forecast_runs where as_of_date = ?"


def build_report(as_of: dt.date, warehouse: Warehouse | None = None) -> dict[str, bytes]:
    """The report's files (path -> content) for ``as_of``, from what the job wrote for that date."""
    with (warehouse or get_warehouse()).session() as query:
        run = _frame(query, _RUN, [as_of])
        if run.empty:
            raise LookupError(f"no forecast run for {as_of} in ml.forecast_runs: run forecast_stockouts for it first")
        risks = _frame(query, _RISKS, [as_of])
        top = _top_risks(risks)
        keys = set(zip(top["store_id"], top["gtin"], strict=True))
        forecasts = _only(_frame(query, _FORECASTS, [as_of]), keys)
        history = _only(_frame(query, _HISTORY, [as_of - dt.timedelta(weeks=HISTORY_WEEKS), as_of]), keys)
        detected = _only(_frame(query, _DETECTED, [as_of]), keys)

    summary = {k: _plain(v) for k, v in run.iloc[0].to_dict().items()}
    files: dict[str, bytes] = {"summary.json": json.dumps(summary, indent=2).encode()}
    regions = []
    for region, at_region in risks.groupby("region", sort=True):
        page = f"region-{_slug(str(region))}.html"
        region_top = top[top["region"] == region]
        for row in region_top.itertuples():
            files[_plot_name(row)] = _plot(row, forecasts, history, detected, as_of)
        files[page] = _render(_REGION_PAGE, as_of=as_of, region=region, stores=_stores(at_region),
                              risks=_at_risk(at_region), top=region_top, plot_name=_plot_name)  # fmt: skip
        regions.append({"name": region, "page": page, **_counts(at_region)})
    to_count = risks[risks["stock_check"] != "ok"].sort_values(["stock_check", "store_id", "gtin"])
    files["index.html"] = _render(
        _INDEX_PAGE, as_of=as_of, run=summary, regions=regions, to_count=to_count,
        chosen=json.loads(summary["models_chosen"]), scores=json.loads(summary["backtest_rmsse"]),
        without_stock=json.loads(summary["stores_without_stock"]), at_risk=AT_RISK,
    )  # fmt: skip
    return files


def write_report(as_of: dt.date, service: BlobServiceClient, warehouse: Warehouse | None = None) -> str:
    """Replace ``reports/forecasts/<date>/`` with the report; returns the index page's blob path."""
    from retail_factory.config import get_settings
    from retail_factory.storage import replace_folder

    files = build_report(as_of, warehouse)
    folder = replace_folder(
        service, get_settings().reports_container, f"{REPORT_PREFIX}/{as_of.isoformat()}/", files, "writing the report"
    )
    return folder + "index.html"


def series_plot(query: Any, risk: Any, as_of: dt.date) -> bytes:
    """The plot of one series (a row of ``ml.stockout_risks`` with its product name), read alone."""
    key = [risk.store_id, risk.gtin]
    one = " and {table}store_id = ? and {table}gtin = ?"
    history_from = as_of - dt.timedelta(weeks=HISTORY_WEEKS)
    forecasts = _frame(query, _FORECASTS + one.format(table=""), [as_of, *key])
    history = _frame(query, _HISTORY + one.format(table="stock."), [history_from, as_of, *key])
    detected = _frame(query, _DETECTED + one.format(table=""), [as_of, *key])
    return _plot(risk, forecasts, history, detected, as_of)


def _frame(query: Any, sql: str, params: list[Any]) -> pd.DataFrame:
    columns, rows = query(sql, params)
    return pd.DataFrame([list(row) for row in rows], columns=columns)


def _only(frame: pd.DataFrame, keys: set[tuple[str, str]]) -> pd.DataFrame:
    return frame[[key in keys for key in zip(frame["store_id"], frame["gtin"], strict=True)]]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "region"


def _top_risks(risks: pd.DataFrame) -> pd.DataFrame:
    at_risk = risks[risks["p_stockout"] >= AT_RISK].sort_values(
        ["p_stockout", "expected_stockout_date", "store_id", "gtin"], ascending=[False, True, True, True]
    )
    return at_risk.groupby("region", sort=False).head(TOP_RISKS_PER_REGION)


def _at_risk(risks: pd.DataFrame) -> pd.DataFrame:
    return risks[risks["p_stockout"] >= AT_RISK].sort_values(["p_stockout", "store_id"], ascending=[False, True])


def _counts(risks: pd.DataFrame) -> dict[str, Any]:
    return {
        "stores": int(risks["store_id"].nunique()),
        "series": len(risks),
        "at_risk": int((risks["p_stockout"] >= AT_RISK).sum()),
        "expected_stockouts": float(risks["p_stockout"].sum()),
        "order_units": int(risks["recommended_order_qty"].fillna(0).sum()),
    }


def _stores(risks: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for (store, name), group in risks.groupby(["store_id", risks["store_name"].fillna("")], sort=True):
        order_lines = int((group["recommended_order_qty"].fillna(0) > 0).sum())
        next_delivery = group["next_delivery_date"].min()
        rows.append({"store_id": store, "name": name, "next_delivery": next_delivery, "order_lines": order_lines,
                     **_counts(group)})  # fmt: skip
    return sorted(rows, key=lambda r: (-r["expected_stockouts"], r["store_id"]))


def _plot_name(row: Any) -> str:
    return f"plots/{_slug(str(row.store_id))}_{row.gtin}.png"


def _plot(row: Any, forecasts: pd.DataFrame, history: pd.DataFrame, detected: pd.DataFrame, as_of: dt.date) -> bytes:
    """Sales (stockout days shaded), forecast mean and p50-p95 band, projected stock until delivery."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to PNG
    import matplotlib.pyplot as plt

    def series(frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
        own = frame[(frame["store_id"] == row.store_id) & (frame["gtin"] == row.gtin)]
        return own.assign(day=pd.to_datetime(own[date_column])).sort_values("day")

    past, ahead, empty = series(history, "date"), series(forecasts, "forecast_date"), series(detected, "stockout_date")
    fig, axis = plt.subplots(figsize=(7.5, 2.8), dpi=96)
    for n, day in enumerate(empty["day"]):
        axis.axvspan(day - pd.Timedelta(hours=12), day + pd.Timedelta(hours=12), color="#f4c7c3", lw=0,
                     label="stockout detected" if n == 0 else None)  # fmt: skip
    axis.bar(past["day"], past["units_sold"].astype(float), width=0.8, color="#7a8899", label="units sold")
    axis.fill_between(ahead["day"], ahead["p50"].astype(float), ahead["p95"].astype(float), color="#9ecae1",
                      alpha=0.7, step="mid", label="forecast p50-p95")  # fmt: skip
    axis.plot(ahead["day"], ahead["mean"].astype(float), color="#08519c", lw=1.5, label="forecast mean")
    # Stock in the same units as demand, so the day the line meets zero reads off the same scale.
    # What can sell: fresh units that expire before they would sell are left out (expiring_qty).
    expiring = float(row.expiring_qty) if pd.notna(row.expiring_qty) else 0.0
    available = max(float(row.on_hand) - expiring, 0.0) + float(row.in_transit)
    delivery = pd.Timestamp(row.next_delivery_date) if pd.notna(row.next_delivery_date) else None
    until = ahead if delivery is None else ahead[ahead["day"] < delivery]
    projected = (available - until["mean"].astype(float).cumsum()).clip(lower=0)
    axis.step([pd.Timestamp(as_of), *until["day"]], [available, *projected], where="post", color="#d95f02", lw=2,
              label="projected sellable stock until delivery")  # fmt: skip
    if delivery is not None:
        axis.axvline(delivery, color="#333333", ls=":", lw=1, label="next delivery")
    axis.axvline(pd.Timestamp(as_of) + pd.Timedelta(hours=12), color="#333333", lw=0.8)
    axis.set_ylim(bottom=0)
    axis.set_ylabel("units")
    axis.set_title(f"{row.store_id} · {row.product_name or row.gtin}: P(stockout) {row.p_stockout:.0%}", fontsize=9)
    axis.tick_params(labelsize=7)
    axis.legend(loc="upper left", fontsize=6, ncols=3, frameon=False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _render(template: str, **values: Any) -> bytes:
    from jinja2 import Environment

    environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(_LAYOUT + template).render(**values).encode()


_LAYOUT = """{% macro page(title) %}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.risk { color: #b30000; font-weight: 600; } img { max-width: 100%; } .muted { color: #666; }
</style></head><body>{{ caller() }}</body></html>{% endmacro %}
"""

_INDEX_PAGE = """{% call page("Stockout forecast " ~ as_of) %}
<h1>Stockout forecast for {{ as_of }}</h1>
<p>{{ run.series }} store × product series in {{ run.stores }} stores; <span class="risk">{{ run.series_at_risk }}
at risk</span> (P(stockout before the next delivery) ≥ {{ "%.0f"|format(at_risk * 100) }} %);
{{ run.order_lines }} order lines, {{ run.units_ordered }} units, for a {{ "%.1f"|format(run.service_level * 100) }} %
service level.</p>
<h2>Regions</h2>
{% if regions %}
<table><tr><th>Region</th><th>Stores</th><th>Series</th><th>At risk</th><th>Expected stockouts</th>
<th>Units to order</th></tr>
{% for r in regions %}
<tr><td><a href="{{ r.page }}">{{ r.name }}</a></td><td class="n">{{ r.stores }}</td><td class="n">{{ r.series }}</td>
<td class="n">{{ r.at_risk }}</td><td class="n">{{ "%.1f"|format(r.expected_stockouts) }}</td>
<td class="n">{{ r.order_units }}</td></tr>
{% endfor %}</table>
{% else %}<p class="muted">No stock records for this date: nothing was forecast.</p>{% endif %}
{% if without_stock %}<p class="risk">No stock record on {{ as_of }} for: {{ without_stock|join(", ") }}
(no risk, no order for these stores until their stock file arrives).</p>{% endif %}
{% if to_count|length %}
<h2>Stock records to check</h2>
<p class="muted">negative or missing: counted as none; implausible: no order until the shelf is counted;
phantom_suspected: the records say units are on hand, the sales say the shelf is likely empty:
count it before ordering.</p>
<table><tr><th>Store</th><th>GTIN</th><th>Product</th><th>On hand</th><th>Check</th></tr>
{% for r in to_count.itertuples() %}<tr><td>{{ r.store_id }}</td><td>{{ r.gtin }}</td>
<td>{{ r.product_name or "" }}</td>
<td class="n">{{ r.on_hand }}</td><td>{{ r.stock_check }}</td></tr>{% endfor %}</table>
{% endif %}
<h2>Models</h2>
<p>Chosen per demand segment by a rolling backtest (mean RMSSE; lower is better).</p>
<table><tr><th>Segment</th><th>Model</th></tr>
{% for segment, model in chosen.items() %}<tr><td>{{ segment }}</td><td>{{ model }}</td></tr>{% endfor %}
{% if not chosen %}<tr><td colspan="2" class="muted">History too short to backtest: fallback models
({{ run.fallback_series }} series).</td></tr>{% endif %}</table>
{% if scores %}<table><tr><th>Model</th><th>Mean RMSSE</th></tr>
{% for model, score in scores.items() %}<tr><td>{{ model }}</td><td class="n">{{ "%.3f"|format(score) }}</td></tr>
{% endfor %}</table>{% endif %}
<p class="muted">{{ run.stockout_days }} past stockout days detected, {{ run.unconstrained_days }} of them
unconstrained; {{ run.imputed_days }} missing days filled; {{ run.history_days }} days of history.
Tables: ml.stockout_risks, ml.order_proposals, ml.demand_forecasts, ml.detected_stockouts, ml.forecast_runs.</p>
{% endcall %}"""

_REGION_PAGE = """{% call page(region ~ " · stockout forecast " ~ as_of) %}
<p><a href="index.html">← all regions</a></p>
<h1>{{ region }}: stockout forecast for {{ as_of }}</h1>
<h2>Stores</h2>
<table><tr><th>Store</th><th>Name</th><th>Next delivery</th><th>At risk</th><th>Expected stockouts</th>
<th>Order lines</th><th>Units to order</th></tr>
{% for s in stores %}<tr><td>{{ s.store_id }}</td><td>{{ s.name }}</td><td>{{ s.next_delivery }}</td>
<td class="n">{{ s.at_risk }}</td><td class="n">{{ "%.1f"|format(s.expected_stockouts) }}</td>
<td class="n">{{ s.order_lines }}</td><td class="n">{{ s.order_units }}</td></tr>{% endfor %}</table>
<h2>At risk before the next delivery</h2>
{% if risks|length %}
<table><tr><th>Store</th><th>GTIN</th><th>Product</th><th>P(stockout)</th><th>Empty by</th><th>On hand</th>
<th>Expiring unsold</th><th>In transit</th><th>Demand until delivery</th><th>Order</th><th>Model</th></tr>
{% for r in risks.itertuples() %}<tr><td>{{ r.store_id }}</td><td>{{ r.gtin }}</td><td>{{ r.product_name or "" }}</td>
<td class="n risk">{{ "%.0f"|format(r.p_stockout * 100) }} %</td><td>{{ r.expected_stockout_date or "" }}</td>
<td class="n">{{ r.on_hand }}</td><td class="n">{{ "%.1f"|format(r.expiring_qty or 0) }}</td>
<td class="n">{{ r.in_transit }}</td><td class="n">{{ "%.1f"|format(r.expected_demand) }}</td>
<td class="n">{{ "%d"|format(r.recommended_order_qty) if r.recommended_order_qty == r.recommended_order_qty
else "count first" }}</td>
<td>{{ r.model }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">No product is at risk before its next delivery.</p>{% endif %}
{% for r in top.itertuples() %}
<h3>{{ r.store_id }} · {{ r.product_name or r.gtin }}</h3>
<img src="{{ plot_name(r) }}" alt="sales, forecast band and projected stock of {{ r.gtin }} in {{ r.store_id }}">
{% endfor %}
{% endcall %}"""
