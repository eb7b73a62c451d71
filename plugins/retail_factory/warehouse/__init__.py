"""The warehouse: raw blobs → ``raw.*`` tables (DuckDB or PostgreSQL); dbt builds the rest."""
