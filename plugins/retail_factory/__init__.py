"""Retail Data Factory: the library behind the DAGs (landing, warehouse, quality, data products)."""

__version__ = "0.1.0"
