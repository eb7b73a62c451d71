"""The GX file data context in ``expectations/``: open it for a run, or write it from the suites.

The context is committed: ``great_expectations.yml`` (one SQL data source, ``warehouse``, with a
table asset per validated table), ``expectations/`` (the suites), ``validation_definitions/`` and
``checkpoints/`` (``raw_gate``, ``curated_gate``, ``curated_gate_tables`` and ``trace_gate``), all JSON or YAML a
reviewer can read. What changes per run is substituted when the context is opened, never written
into it: the warehouse's connection URL (from the settings, with the password from the
environment) and the folder where a run keeps its validation results and Data Docs.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from retail_factory.config import Settings, get_postgres_settings, get_settings
from retail_factory.quality import duckdb_dialect, spark_dialect

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext

    from retail_factory.quality.suites import SuiteSpec

log = logging.getLogger(__name__)

DATASOURCE = "warehouse"
DAILY = "daily"
WHOLE_TABLE = "whole_table"
URL_VARIABLE = "retail_factory_warehouse_url"
RUN_DIR_VARIABLE = "retail_factory_gx_run_dir"
# Checkpoints: a GX checkpoint passes the same batch parameters to all its validations, and a
# whole-table batch takes none, so the curated gate's dimensions have a checkpoint of their own.
CHECKPOINTS = {
    "raw_gate": ("raw_gate", True),
    "curated_gate": ("curated_gate", True),
    "curated_gate_tables": ("curated_gate", False),
    "trace_gate": ("trace_gate", False),
}

_CONFIG = f"""\
# Great Expectations file data context of the Retail Data Factory (GX Core 1.x).
# Written by `retail-factory quality write-context` from plugins/retail_factory/quality/suites.py:
# edit the suites there, then re-write; a test fails when these files and the code disagree.
# ${{{URL_VARIABLE}}} and ${{{RUN_DIR_VARIABLE}}} are given when a gate opens the context
# (retail_factory.quality.context.open_context): the warehouse URL comes from the settings and the
# environment, results and Data Docs go to a folder per run, uploaded to reports/quality/<date>/.
config_version: 4.0
analytics_enabled: false
progress_bars:  # no tqdm bars in task logs
  globally: false
  metric_calculations: false
stores:
  expectations_store:
    class_name: ExpectationsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: expectations/
  validation_results_store:
    class_name: ValidationResultsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: ${{{RUN_DIR_VARIABLE}}}/validations/
  checkpoint_store:
    class_name: CheckpointStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: checkpoints/
  validation_definition_store:
    class_name: ValidationDefinitionStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: validation_definitions/
expectations_store_name: expectations_store
validation_results_store_name: validation_results_store
checkpoint_store_name: checkpoint_store
data_docs_sites:
  quality_report:
    class_name: SiteBuilder
    show_how_to_buttons: false
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: ${{{RUN_DIR_VARIABLE}}}/data_docs/
    site_index_builder:
      class_name: DefaultSiteIndexBuilder
    # Validation pages only: they show every rule of the suite with its result. Suite pages would
    # re-render all 36 suites on every gate run (the suites are reviewed here, in git).
    site_section_builders:
      expectations: "False"  # GX reads the strings, not YAML booleans
      profiling: "False"
"""


def quiet_gx_logging() -> None:
    """GX logs hundreds of "Skipping registering function" lines at import under Airflow's logging."""
    for name in ("great_expectations", "great_expectations.expectations.registry"):
        logging.getLogger(name).setLevel(logging.WARNING)


def warehouse_url(settings: Settings | None = None) -> str:
    """SQLAlchemy URL of the warehouse GX reads (DuckDB read-only, PostgreSQL, or Spark's Thrift
    server through PyHive's dialect: ``quality.spark_dialect``)."""
    s = settings or get_settings()
    if s.warehouse == "duckdb":
        return duckdb_dialect.duckdb_url(str(s.duckdb_path))
    if s.warehouse == "spark":
        return spark_dialect.spark_url(s.spark_host, s.spark_port)
    pg = get_postgres_settings()
    url = sa.engine.URL.create(
        "postgresql+psycopg2",
        username=pg.user,
        password=pg.password or None,
        host=pg.host,
        port=pg.port,
        database=pg.database,
    )
    return url.render_as_string(hide_password=False)


def _prepare_gx() -> None:
    import warnings

    quiet_gx_logging()
    # One generic SQL data source serves DuckDB and PostgreSQL alike, on purpose.
    warnings.filterwarnings("ignore", message="You are using a generic SQLDatasource")
    duckdb_dialect.register()
    spark_dialect.register()
    import retail_factory.quality.expectations  # noqa: F401  (registers the custom expectations)


def open_context(run_dir: Path, settings: Settings | None = None) -> FileDataContext:
    """The committed context, reading the configured warehouse, keeping results in ``run_dir``."""
    _prepare_gx()
    import great_expectations as gx

    s = settings or get_settings()
    environment = {URL_VARIABLE: warehouse_url(s), RUN_DIR_VARIABLE: str(run_dir)}
    return gx.get_context(mode="file", context_root_dir=str(s.expectations_dir), runtime_environment=environment)


def write_context(root: Path, suites: list[SuiteSpec] | None = None, settings: Settings | None = None) -> None:
    """(Re)write the file context at ``root`` from the declared suites.

    GX checks every table and partition column as it adds an asset, so the configured warehouse
    must hold every validated table (build it once, e.g. with ``make demo``). Only the URL's
    variable is written, never the URL.
    """
    _prepare_gx()
    import great_expectations as gx
    from great_expectations.core.partitioners import PartitionerColumnValue

    from retail_factory.quality.suites import all_suites

    specs = suites if suites is not None else all_suites()
    root = root.resolve()
    for folder in ("expectations", "validation_definitions", "checkpoints"):
        shutil.rmtree(root / folder, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    (root / "great_expectations.yml").write_text(_CONFIG, encoding="utf-8")
    environment = {URL_VARIABLE: warehouse_url(settings), RUN_DIR_VARIABLE: str(root / "uncommitted")}
    context = gx.get_context(mode="file", context_root_dir=str(root), runtime_environment=environment)
    source = context.data_sources.add_sql(DATASOURCE, connection_string=f"${{{URL_VARIABLE}}}")
    definitions: dict[str, Any] = {}
    for spec in specs:
        asset = source.add_table_asset(spec.name, table_name=spec.table, schema_name=spec.schema)
        if spec.partition_column:
            # On the column's value (`where ingest_date = D`), not GX's daily partitioner: that
            # one compares year(), month() and day() of the column, which no index or DuckDB zone
            # map can use, so every expectation would scan the table's whole history. Not GX's
            # default check of the column either, which needs rows (a mart can be empty). Every
            # field explicit: GX writes only the fields set.
            partitioner = PartitionerColumnValue(
                column_name=spec.partition_column, sort_ascending=True, method_name="partition_on_column_value"
            )
            batch = asset.add_batch_definition(DAILY, partitioner=partitioner, validate_partitioner=False)
        else:
            batch = asset.add_batch_definition_whole_table(WHOLE_TABLE)
        suite = context.suites.add(gx.ExpectationSuite(spec.name, expectations=spec.expectations, meta=spec.meta))
        definitions[spec.name] = (
            spec,
            context.validation_definitions.add(gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)),
        )
    for checkpoint, (gate, daily) in CHECKPOINTS.items():
        members = [
            vd for spec, vd in definitions.values() if spec.gate == gate and bool(spec.partition_column) == daily
        ]
        context.checkpoints.add(
            gx.Checkpoint(
                name=checkpoint,
                validation_definitions=members,
                result_format="SUMMARY",
                actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
            )
        )
    shutil.rmtree(root / "uncommitted", ignore_errors=True)
    _stable_ids(root)
    log.info("wrote %d suites and %d checkpoints to %s", len(specs), len(CHECKPOINTS), root)


def _stable_ids(root: Path) -> None:
    """Replace the random ids GX gives every object by ids derived from their names.

    Rewriting the context then changes only what changed, so a review sees the rules, not a
    thousand new UUIDs. References between files (a validation definition's suite, asset and batch
    definition, a checkpoint's validation definitions) are replaced with the same ids.
    """
    import json
    import re
    import uuid

    import yaml

    def stable(kind: str, name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"retail-factory:{kind}:{name}"))

    new_ids: dict[str, str] = {}
    config = yaml.safe_load((root / "great_expectations.yml").read_text(encoding="utf-8"))
    if config.get("data_context_id"):
        new_ids[str(config["data_context_id"])] = stable("context", "expectations")
    for source_name, source in config.get("fluent_datasources", {}).items():
        new_ids[str(source["id"])] = stable("datasource", source_name)
        for asset_name, asset in source.get("assets", {}).items():
            new_ids[str(asset["id"])] = stable("asset", asset_name)
            for batch_name, batch in asset.get("batch_definitions", {}).items():
                new_ids[str(batch["id"])] = stable("batch_definition", f"{asset_name}/{batch_name}")
    for path in (root / "expectations").rglob("*.json"):
        suite = json.loads(path.read_text(encoding="utf-8"))
        new_ids[suite["id"]] = stable("suite", suite["name"])
        for index, expectation in enumerate(suite["expectations"]):
            new_ids[expectation["id"]] = stable("expectation", f"{suite['name']}/{index}")
    for folder, kind in (("validation_definitions", "validation_definition"), ("checkpoints", "checkpoint")):
        for path in (root / folder).glob("*.json"):
            item = json.loads(path.read_text(encoding="utf-8"))
            new_ids[item["id"]] = stable(kind, item["name"])
    for path in root.rglob(".ge_store_backend_id"):
        old = path.read_text(encoding="utf-8").split("=")[-1].strip()
        new_ids[old] = stable("store", path.parent.relative_to(root).as_posix())
    pattern = re.compile("|".join(re.escape(old) for old in new_ids))
    for path in [root / "great_expectations.yml", *root.rglob("*.json"), *root.rglob(".ge_store_backend_id")]:
        text = path.read_text(encoding="utf-8")
        path.write_text(pattern.sub(lambda match: new_ids[match.group(0)], text), encoding="utf-8")
