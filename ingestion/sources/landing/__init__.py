from ingestion.sources.landing.source import LANDING_TABLES, landing_source

__all__ = ["LANDING_TABLES", "landing_source"]
