"""
### land_retail — land the stores' data into Azure Blob Storage (Airflow DAG)

Each night, for the business date D (the run's partition key), every file the stores and the
head office delivered under `drop/retail/<entity>/D/` is checked against its contract:

| entity | what | format |
|---|---|---|
| `stores` | the store list | JSON Lines, daily snapshot |
| `products` | the catalog, with nutrition facts | JSON Lines, daily snapshot |
| `pos` | till lines, one file per store | `;` CSV, decimal commas |
| `stock` | end-of-day recorded stock, one file per store | Parquet |
| `promotions` | promotions announced that day | `;` CSV |

Valid files are copied byte for byte to `raw/retail/<entity>/ingest_date=D/`; rejected ones to
`quarantine/…` beside `<file>.error.json` saying what to fix. Re-running a date lands nothing
twice. `publish` then emits the `raw_retail` Asset for D with the partition's counts.
See docs/contracts.md and docs/runbook.md.
"""

from retail_factory.landing.tasks import landing_dag

dag = landing_dag("retail", doc_md=__doc__)
