from ingestion.sources.spool.segments import Segment, Spool

__all__ = ["Segment", "Spool"]
