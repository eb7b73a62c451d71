"""
### forecast_stockouts — which shelves run empty before the next delivery, and what to order (Airflow DAG)

Runs when `transform` has exported the curated stock marts for a business date D (the
`curated_stock` Asset's partition key), or by hand with the `date` parameter.

1. `forecast`: past stockouts detected (recorded stock at zero; runs of zero sales improbable
   under the expected rate; phantom stock), demand on those days unconstrained, 14 days of daily
   demand forecast per store and product with p50/p90/p95 (a model per demand segment chosen by
   backtest among statsforecast's TSB, CrostonSBA, ADIDA, IMAPA, seasonal naive and an mlforecast
   LightGBM), the probability of running out before the next delivery, and an order-up-to
   proposal at the target service level in whole packs. Written to `ml.demand_forecasts`,
   `ml.stockout_risks`, `ml.order_proposals`, `ml.detected_stockouts`, `ml.forecast_runs`,
   replacing D's rows in one transaction.
2. `export_forecasts`: those rows as Parquet under `curated/<table>/date=D/`; emits `stockout_forecasts`.
3. `write_forecast_report`: `reports/forecasts/D/index.html`, a page per region, plots of the top risks.

See docs/architecture.md ("Stockout forecasting").
"""

from retail_factory.forecasting.tasks import forecast_stockouts_dag

dag = forecast_stockouts_dag(doc_md=__doc__)
