"""Traceability: EPC identifiers, the lot genealogy, traces and recall reports."""
