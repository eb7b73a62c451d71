"""What a data contract is, and what checking a file against one reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Format = Literal["csv", "parquet", "jsonl", "epcis"]
Kind = Literal["event", "snapshot"]
ColumnType = Literal[
    "string", "integer", "decimal", "date", "timestamp", "boolean", "gtin", "gln", "sscc", "object", "array"
]

# What each logical type looks like, in words a person delivering files understands.
TYPE_DESCRIPTIONS: dict[str, str] = {
    "string": "text",
    "integer": "a whole number, e.g. 12 or -3",
    "decimal": "a decimal number",
    "date": "a date YYYY-MM-DD",
    "timestamp": "an ISO 8601 date-time with its UTC offset, e.g. 2025-01-03T10:15:42+01:00",
    "boolean": "true or false",
    "gtin": "a GTIN: 8, 12, 13 or 14 digits",
    "gln": "a GLN: 13 digits",
    "sscc": "an SSCC: 18 digits",
    "object": "a JSON object",
    "array": "a JSON array",
}


@dataclass(frozen=True)
class Column:
    """One field of an entity: its name, logical type and what it means."""

    name: str
    type: ColumnType
    description: str
    required: bool = True
    unit: str | None = None
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    fields: tuple[Column, ...] = ()  # the members of an "object" column (JSON formats only)


@dataclass(frozen=True)
class Contract:
    """The agreement for one entity's files: format, columns, keys, units and version.

    ``business_date`` names the column whose date must be the delivery folder's date (the ingest
    date), so a file dropped in the wrong folder is caught. ``kind`` says whether the same bytes
    may legitimately arrive twice on the same day (never: every file is one delivery) and how the
    warehouse reads the entity later: ``event`` files add rows, ``snapshot`` files restate the
    whole entity.
    """

    domain: str
    entity: str
    version: str
    format: Format
    kind: Kind
    description: str
    file_example: str
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    business_date: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ";"
    decimal_separator: str = ","
    max_bad_row_fraction: float = 0.01
    max_bytes: int | None = None

    @property
    def name(self) -> str:
        return f"{self.domain}.{self.entity}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


@dataclass(frozen=True)
class Finding:
    """One problem, said so that a person can fix it: where (row, field), what was expected and found."""

    code: str
    message: str
    row: int | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


# Row findings kept in memory for one file; past this the file is rejected as unreadable in bulk.
MAX_ROW_FINDINGS = 100_000


@dataclass
class ValidationReport:
    """The result of checking one file against its contract."""

    contract: Contract
    rows: int = 0
    file_errors: list[Finding] = field(default_factory=list)
    row_findings: list[Finding] = field(default_factory=list)
    row_findings_total: int = 0
    warnings: list[Finding] = field(default_factory=list)
    _bad_rows: set[int] = field(default_factory=set)

    def add_file_error(self, code: str, message: str, **where: Any) -> None:
        self.file_errors.append(Finding(code, message, **where))

    def add_row_finding(self, finding: Finding) -> None:
        self.row_findings_total += 1
        if finding.row is not None:
            self._bad_rows.add(finding.row)
        if len(self.row_findings) < MAX_ROW_FINDINGS:
            self.row_findings.append(finding)

    def add_warning(self, code: str, message: str, **where: Any) -> None:
        self.warnings.append(Finding(code, message, **where))

    @property
    def bad_rows(self) -> int:
        return len(self._bad_rows)

    @property
    def bad_row_fraction(self) -> float:
        return self.bad_rows / self.rows if self.rows else (1.0 if self.bad_rows else 0.0)

    @property
    def accepted(self) -> bool:
        return not self.rejection_reasons()

    def rejection_reasons(self) -> list[Finding]:
        """Why the file as a whole breaks its contract (empty when it may land)."""
        if self.file_errors:
            return list(self.file_errors)
        if self.row_findings_total > len(self.row_findings):
            return [
                Finding(
                    "too_many_bad_rows",
                    f"{self.row_findings_total} problems in {self.rows} rows: too many to list one by one. "
                    "The export settings are likely wrong for the whole file; see the first problems below.",
                )
            ]
        tolerance = self.contract.max_bad_row_fraction
        if self.bad_rows and self.bad_row_fraction > tolerance:
            return [
                Finding(
                    "too_many_bad_rows",
                    f"{self.bad_rows} of {self.rows} rows ({self.bad_row_fraction:.1%}) break the contract, "
                    f"more than the {tolerance:.1%} a file may carry and still land. Fix the rows listed "
                    "below (or the export settings if every row is affected) and deliver the file again.",
                    expected=f"at most {tolerance:.1%} bad rows",
                    found=f"{self.bad_row_fraction:.1%}",
                )
            ]
        return []
