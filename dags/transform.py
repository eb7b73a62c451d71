"""
### transform — raw blobs → warehouse → dbt (Cosmos) → curated Parquet (Airflow DAG)

Runs when `land_retail`, `land_supply` and `land_producer` have all landed the same business
date D (the raw Assets' partition key), or by hand with the `date` parameter.

1. `load_raw` loads every raw blob of D into `raw.<domain>__<entity>` (DuckDB by default,
   PostgreSQL with `RETAIL_FACTORY_WAREHOUSE=postgres`), replacing D's partition in one
   transaction. Nothing changes if the blobs did not.
2. `raw_gate` validates the raw tables of D with Great Expectations (GX checkpoint `raw_gate`):
   contracts' columns, keys, GTIN check digits, known stores and products, each entity's volume
   against the same weekday of the weeks before, freshness. A critical failure stops the run.
3. `dbt` builds the dbt project with astronomer-cosmos (`RETAIL_FACTORY_RUN_DATE=D`): staging types and
   checks every row (rejected rows go to `marts.fct_rejected_rows` with a reason), marts are
   rebuilt for D and its look-back window. One task per model and per model's tests.
4. `curated_gate` validates the marts of D (checkpoints `curated_gate`, `curated_gate_tables`):
   keys, links to the dimensions, the stock equation, no receipt before its shipment, mass
   balance of every transformation, the staging reject rate. A critical failure stops the run
   before anything is published: no curated Asset, so the data products do not run on bad data.
   Both gates write their results and Data Docs to `reports/quality/D/<gate>/`.
5. `export_marts` writes the public marts for D as Parquet to `curated/<mart>/date=D/` and
   emits the `curated_stock` and `curated_traceability` Assets for D.
6. `publish_docs` refreshes the dbt docs (`reports/dbt-docs/index.html`; Airflow UI → dbt docs).

The DuckDB file has one writer: warehouse tasks share the one-slot `warehouse` pool.
See docs/architecture.md and docs/runbook.md.
"""

from retail_factory.warehouse.tasks import transform_dag

dag = transform_dag(doc_md=__doc__)
