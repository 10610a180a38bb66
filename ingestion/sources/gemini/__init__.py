"""Gemini has no usage API: a logged generateContent response maps onto an llm_call record instead."""

from __future__ import annotations

from typing import Any


def gemini_response_to_llm_call(response: dict, *, event_id: str, occurred_at: str, latency_ms: float | None = None,
                                **dimensions: Any) -> dict:
    """An llm_call record from a logged Gemini generateContent response (its usageMetadata).

    promptTokenCount already includes cachedContentTokenCount; thinking tokens are billed as output.
    """
    usage = response.get("usageMetadata") or {}
    candidates = response.get("candidates") or []
    finish = candidates[0].get("finishReason") if candidates else None
    blocked = (response.get("promptFeedback") or {}).get("blockReason")
    failed = blocked is not None or finish in ("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "MALFORMED_FUNCTION_CALL")
    record = {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "llm_provider": "google",
        "llm_model": response.get("modelVersion") or dimensions.pop("llm_model", None),
        "input_tokens": usage.get("promptTokenCount"),
        "output_tokens": (usage.get("candidatesTokenCount") or 0) + (usage.get("thoughtsTokenCount") or 0)
        if "candidatesTokenCount" in usage or "thoughtsTokenCount" in usage else None,
        "cached_input_tokens": usage.get("cachedContentTokenCount", 0 if usage else None),
        "latency_ms": latency_ms,
        "status": "error" if failed else "ok",
        "error_type": (blocked or finish) if failed else None,
    }
    record.update(dimensions)
    return record
