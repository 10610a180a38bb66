"""Deterministic demo data: an AI sales agent converting leads on an e-commerce website.

    from ingestion.demo.generate import generate
    truth = generate(out_dir, conversations=50_000, seed=42)

writes parquet part files per raw table (docs/contracts.md) and truth.json. CLI:
`python -m ingestion.demo.generate --out DIR --size N --seed S`. Readers for the truth (and the daily
attribution parts of a landed demo) are in `ingestion.demo.truth`, the world's parameters (price table,
mixes, planted effects) in `ingestion.demo.world`, the Arrow schemas in `ingestion.demo.schemas`; the
modules of each stage are listed in ingestion/demo/README.md.
"""
