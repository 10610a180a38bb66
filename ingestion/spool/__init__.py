from ingestion.spool.segments import Segment, Spool

__all__ = ["Segment", "Spool"]
