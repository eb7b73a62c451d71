"""
### recall — a lot recall's reports, for the people who act and the regulator (Airflow DAG)

Triggered by a person (Airflow UI → Trigger DAG, or `airflow dags trigger recall --conf …`) with:
- `reason` (required), and either `lots` (URNs, GS1 Digital Links or `(01)<GTIN-14>(10)<lot>`) or
  a `gtin` with `date_from` and `date_to` (every lot of that product moved in those dates);
- `direction`: `forward` (where the lots went), `backward` (where they came from) or `both`;
- `recall_id` (optional): the report folder; by default derived from the request, so triggering
  the same request again replaces the same reports.

`write_recall_report` traces the lots in the genealogy `trace_lots` keeps and writes
`reports/recalls/<recall-id>/` in Blob: `summary.md` (read first: stores to alert with units on
shelf, producers and farms involved, completeness warnings), `tracking_events.csv` and `.xlsx`
(FSMA 204-style sortable spreadsheet, one row per critical tracking event) and `epcis.jsonld`
(the EPCIS 2.0 events involved, checked against GS1's schema). A refused request (no reason, a
malformed or unknown lot) fails the task with the reason and writes nothing.
"""

from retail_factory.traceability.tasks import recall_dag

dag = recall_dag(doc_md=__doc__)
