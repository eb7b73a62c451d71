"""Run a quality gate for a date: the gate's GX checkpoints, a verdict, a report in Blob.

A gate passes when no ``critical`` expectation failed; failed ``warning`` expectations are
reported and let the data through. Each failure names its suite (the table), the expectation,
the column, how many values or rows broke it and a sample of them.

GX cannot select a day that has no rows (it lists the partitions that exist), so the gate counts
each table's rows for the day first: validation runs on the tables with rows, and an empty day of
a table the data products need fails the gate by itself (``partition_has_rows``).

Validation results (JSON), the Data Docs site GX builds from them and the gate's own summary go
to ``reports/quality/<date>/<gate>/`` in Blob (GX 1.x writes Data Docs only to a file system:
built in a folder per run, then uploaded). Re-running a gate for a date replaces its report.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retail_factory.config import Settings, get_settings

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

log = logging.getLogger(__name__)

SAMPLE_SIZE = 10  # bad values or rows shown per failure in logs and errors
REPORT_PREFIX = "quality"
EMPTY_PARTITION = "partition_has_rows"


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold."""

    suite: str
    expectation: str
    severity: str
    column: str | None = None
    description: str | None = None
    unexpected: int | None = None  # values or rows that broke it
    checked: int | None = None  # values checked, where GX says
    observed: Any = None
    sample: list[Any] = field(default_factory=list)
    error: str | None = None  # the expectation could not be computed

    def describe(self) -> str:
        where = f"{self.suite}.{self.column}" if self.column else self.suite
        what = f"{self.expectation} failed on {where}"
        if self.description:
            what += f" ({self.description})"
        if self.error:
            return f"{what}: could not be computed: {self.error}"
        counts = ""
        if self.unexpected is not None:
            counts = f": {self.unexpected} bad" + (f" of {self.checked}" if self.checked else "")
        elif self.observed is not None:
            counts = f": observed {_short(self.observed)}"
        sample = f"; sample: {_short(self.sample[:SAMPLE_SIZE])}" if self.sample else ""
        return what + counts + sample


@dataclass
class GateReport:
    gate: str
    day: dt.date
    failures: list[Failure] = field(default_factory=list)  # critical
    warnings: list[Failure] = field(default_factory=list)
    validated: dict[str, dict[str, int]] = field(default_factory=dict)  # suite -> expectation counts
    empty: list[str] = field(default_factory=list)  # suites whose day had no rows
    report: str | None = None  # where the report is in Blob

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "date": self.day.isoformat(),
            "passed": self.passed,
            "failures": [asdict(f) for f in self.failures],
            "warnings": [asdict(f) for f in self.warnings],
            "validated": self.validated,
            "empty": self.empty,
            "report": self.report,
        }

    def summary(self) -> str:
        verdict = "passed" if self.passed else f"FAILED ({len(self.failures)} critical)"
        lines = [
            f"{self.gate} for {self.day}: {verdict}; {len(self.validated)} tables validated, "
            f"{len(self.warnings)} warning(s), report: {self.report or 'not uploaded'}"
        ]
        lines += [f"  critical: {f.describe()}" for f in self.failures]
        lines += [f"  warning: {f.describe()}" for f in self.warnings]
        return "\n".join(lines)


class QualityGateFailedError(RuntimeError):
    """A critical expectation failed: the data must not go further."""

    def __init__(self, report: GateReport) -> None:
        super().__init__(report.summary())
        self.report = report


def _short(value: Any, limit: int = 600) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_gate(
    gate: str, day: dt.date, service: BlobServiceClient | None = None, settings: Settings | None = None
) -> GateReport:
    """Validate ``day`` with every checkpoint of ``gate``; upload the report when ``service`` is given."""
    from retail_factory.quality.context import CHECKPOINTS, open_context

    s = settings or get_settings()
    report = GateReport(gate, day)
    with tempfile.TemporaryDirectory(prefix=f"retail-factory-{gate}-") as tmp:
        run_dir = Path(tmp)
        context = open_context(run_dir, s)
        try:
            for name, (checkpoint_gate, daily) in CHECKPOINTS.items():
                if checkpoint_gate == gate:
                    _run_checkpoint(context, name, daily, day, report)
        finally:
            _release_connections(context)
        if report.validated:  # the checkpoints' Data Docs action, once for the gate's results
            context.build_data_docs()
        # A warning repeating a critical failure (the same rule at a stricter threshold) says nothing more.
        critical = {(f.suite, f.expectation, f.column) for f in report.failures}
        report.warnings = [w for w in report.warnings if (w.suite, w.expectation, w.column) not in critical]
        (run_dir / "gate.json").write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")
        if service is not None:
            report.report = _upload(service, s, run_dir, gate, day)
    log.info("%s", report.summary())
    return report


def _run_checkpoint(context: Any, name: str, daily: bool, day: dt.date, report: GateReport) -> None:
    """Run the committed checkpoint's validations that have rows for the day (results only; Data Docs after).

    One by one rather than ``checkpoint.run()``: a checkpoint fails whole when one of its tables
    has no partition for the day, and a trimmed copy of it would be written into the committed
    context. ``ValidationDefinition.run`` stores each result like the checkpoint does.
    """
    from great_expectations.core.run_identifier import RunIdentifier

    checkpoint = context.checkpoints.get(name)
    definitions = list(checkpoint.validation_definitions)
    if daily:
        rows = _rows_of_day(definitions, day)
        for definition in definitions:
            if rows[definition.name] == 0:
                report.empty.append(definition.name)
                if definition.suite.meta.get("rows_required"):
                    report.failures.append(
                        Failure(
                            definition.name,
                            EMPTY_PARTITION,
                            "critical",
                            description=f"no row for {day} in {definition.suite.meta.get('table')}",
                        )
                    )
        definitions = [d for d in definitions if rows[d.name] > 0]
    run_id = RunIdentifier(run_name=f"{name}-{day.isoformat()}")
    for definition in definitions:
        # The day's batch: its table's partition column equal to the day.
        parameters = {definition.suite.meta["partition_column"]: day.isoformat()} if daily else None
        validation = definition.run(
            batch_parameters=parameters,
            result_format=checkpoint.result_format,
            run_id=run_id,
            checkpoint_id=checkpoint.id,
        )
        stats = validation.statistics
        report.validated[definition.name] = {
            "expectations": int(stats.get("evaluated_expectations", 0)),
            "failed": int(stats.get("unsuccessful_expectations", 0)),
        }
        for outcome in validation.results:
            if not outcome.success:
                failure = _failure(definition.name, outcome)
                (report.failures if failure.severity == "critical" else report.warnings).append(failure)


def _release_connections(context: Any) -> None:
    """Close the pooled connections GX opened for the gate's validations.

    DuckDB has one writer per file: a connection left in GX's pools would keep the warehouse
    locked for the dbt build that follows (in the same process under ``dag.test()``). GX's
    execution engine has an engine of its own beside its data source's.
    """
    from retail_factory.quality.context import DATASOURCE

    source = context.data_sources.get(DATASOURCE)
    source.get_execution_engine().engine.dispose()
    source.get_engine().dispose()


def _rows_of_day(definitions: list[Any], day: dt.date) -> dict[str, int]:
    """Rows of ``day`` in each validated table, in one query."""
    from retail_factory.warehouse.connections import get_warehouse

    selects = [
        f"select '{d.name}' as suite, count(*) as day_rows from {d.suite.meta['table']} "
        f"where {d.suite.meta['partition_column']} = cast(? as date)"
        for d in definitions
    ]
    _, rows = get_warehouse().query(" union all ".join(selects), [day.isoformat()] * len(selects))
    return {suite: int(count) for suite, count in rows}


def _failure(suite: str, outcome: Any) -> Failure:
    config = outcome.expectation_config
    result = outcome.result or {}
    exception = outcome.exception_info or {}
    error = None
    if exception.get("raised_exception"):
        error = exception.get("exception_message")
    else:  # GX keys the exception info by metric when a metric failed
        for info in exception.values() if isinstance(exception, dict) else []:
            if isinstance(info, dict) and info.get("raised_exception"):
                error = info.get("exception_message")
    sample = result.get("partial_unexpected_list") or (result.get("details") or {}).get("unexpected_rows") or []
    return Failure(
        suite=suite,
        expectation=config.type,
        severity=str(getattr(config.severity, "value", config.severity) or "critical"),
        column=config.kwargs.get("column"),
        description=config.description,
        unexpected=result.get("unexpected_count"),
        checked=result.get("element_count"),
        observed=result.get("observed_value"),
        sample=list(sample),
        error=error,
    )


def _upload(service: BlobServiceClient, settings: Settings, run_dir: Path, gate: str, day: dt.date) -> str:
    """Replace ``reports/quality/<date>/<gate>/`` with this run's results, Data Docs and summary."""
    from retail_factory.storage import replace_folder

    prefix = f"{REPORT_PREFIX}/{day.isoformat()}/{gate}/"
    files = {
        path.relative_to(run_dir).as_posix(): path.read_bytes()
        for path in sorted(p for p in run_dir.rglob("*") if p.is_file() and not p.name.startswith(".ge_store"))
    }
    replace_folder(service, settings.reports_container, prefix, files, f"uploading the {gate} report")
    return f"{settings.reports_container}/{prefix}data_docs/index.html"
