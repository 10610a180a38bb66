"""Integer codes of the categorical values the plan keeps per row (labels are looked up when writing)."""

from __future__ import annotations

from ingestion.demo import world as W

RESOLVED, ESCALATED, ABANDONED = 0, 1, 2
TERMINAL_KINDS = ("resolved", "escalated", "abandoned")
WON, LOST, OPEN = 0, 1, 2
DEAL_STAGES = ("closedwon", "closedlost", "appointmentscheduled")

INTENT = {name: i for i, name in enumerate(W.INTENTS)}
CAPABILITY = {name: i for i, name in enumerate(W.CAPABILITIES)}
MODEL = {name: i for i, name in enumerate(W.MODELS)}
ERROR_TYPE = {name: i for i, name in enumerate(W.ERROR_TYPES)}
