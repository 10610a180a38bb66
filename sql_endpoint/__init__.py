"""A Postgres wire-protocol endpoint over the semantic layer: BI tools (psql, SQLAlchemy, Superset,
Metabase) query Cube's views as tables, each user with their own rights. See README.md."""
