"""Deterministic demo data: an AI sales agent converting leads on an e-commerce website.

    python -m ingestion.demo.generate --out DIR --size N --seed S

writes one folder per raw table of docs/contracts.md (llm_calls, conversation_events, feedback,
hubspot_contacts, hubspot_deals, hubspot_deal_contact_associations, outcome_metrics) holding parquet part
files (`part-00000.parquet`, …), and `truth.json` with the planted effects and what was realised.

How it works (everything vectorised with numpy; no per-row Python loops):

1. *Plan* (`plan.py`; one numpy array per conversation, a few bytes each): contacts, conversation start
   times, intent, capability, action, experiment arm, model, terminal outcome, planted conversion
   probability and the draw, deals and the attribution of every closedwon deal by the contract's
   rule (last touch within 7 days). This is all `truth.json` needs.
2. *Write*, in chunks of `CHUNK_CONVERSATIONS` conversations: expand each chunk to its LLM calls,
   events, feedback and deals, build the string columns with Arrow and write one part file per table.
   Only one chunk's rows are in memory at a time, so millions of conversations fit in bounded memory.
3. *Truth* (`truth_document.py`): the plan and the running sums of the writers.

Random numbers come from `numpy.random.Generator`s seeded by `SeedSequence([seed, stream, chunk])`,
so the same seed and size always give byte-identical files; ids are derived from the seed and a
running number (`conv_{seed}_{n:09d}`, `llm_{seed}_{n:09d}_{k:02d}`, …), globally unique and stable.
"""

from __future__ import annotations

import json
import math
import time
from datetime import date
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingestion.demo.chunk import open_chunk
from ingestion.demo.conversation_events import write_conversation_events
from ingestion.demo.feedback import write_feedback
from ingestion.demo.hubspot_records import write_contacts, write_deals
from ingestion.demo.llm_calls import CallStats, write_llm_calls
from ingestion.demo.outcome_metrics import write_outcome_metrics
from ingestion.demo.parquet_parts import PartWriter
from ingestion.demo.period import bad_release_days, conversion_calendar
from ingestion.demo.plan import Plan, plan
from ingestion.demo.truth_counts import daily_conversion
from ingestion.demo.truth_document import GENERATOR_VERSION, build_truth

__all__ = [
    "GENERATOR_VERSION", "Plan", "bad_release_days", "conversion_calendar", "daily_conversion", "generate", "plan",
]

CHUNK_CONVERSATIONS = 200_000
CONTACT_PART_ROWS = 500_000


def _write_conversation_chunk(p: Plan, writer: PartWriter, stats: CallStats, fb_stats: dict, number: int) -> int:
    """Conversations of chunk `number`: their LLM calls, events, feedback and deals. Returns how many."""
    a = number * CHUNK_CONVERSATIONS
    b = min(p.n, a + CHUNK_CONVERSATIONS)
    chunk = open_chunk(p, number, a, b)
    t_end = write_llm_calls(p, writer, stats, chunk)
    write_conversation_events(p, writer, chunk, t_end)
    write_feedback(p, writer, fb_stats, chunk, t_end)
    conv_deals = p.deals.conv[: p.deals.n_conv_deals]
    da, db = np.searchsorted(conv_deals, [a, b])
    write_deals(p, writer, np.arange(da, db))
    return b - a


def _write_contacts_and_organic_deals(p: Plan, writer: PartWriter) -> None:
    write_deals(p, writer, np.arange(p.deals.n_conv_deals, len(p.deals.conv)))
    for a in range(0, p.contacts.n, CONTACT_PART_ROWS):
        write_contacts(p, writer, np.arange(a, min(p.contacts.n, a + CONTACT_PART_ROWS)))


def _progress_bar(progress: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("conversations"),
        TimeElapsedColumn(),
        disable=not progress,
    )


def generate(
    out_dir: Path,
    conversations: int = 50_000,
    seed: int = 42,
    days: int = 180,
    end_date: date = date(2026, 11, 1),
    progress: bool = False,
) -> dict:
    """Write the demo raw tables under out_dir and return the truth (also written to truth.json).

    The period is [end_date - days, end_date): end_date itself is excluded.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _progress_bar(progress) as bar:
        task = bar.add_task("planning", total=conversations)
        p = plan(conversations, seed, days, end_date)
        bar.update(task, description="writing llm calls, events, feedback")
        writer = PartWriter(out_dir)
        stats = CallStats.empty()
        fb_stats: dict = {}
        for number in range(max(1, math.ceil(conversations / CHUNK_CONVERSATIONS))):
            bar.update(task, advance=_write_conversation_chunk(p, writer, stats, fb_stats, number))
        bar.update(task, description="writing contacts and organic deals")
        _write_contacts_and_organic_deals(p, writer)
        outcome_metrics = write_outcome_metrics(p, writer)
        truth = build_truth(p, writer, stats, fb_stats)
        truth["outcome_metrics"] = outcome_metrics
        (out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
        bar.update(task, description="done")
    return truth


app = typer.Typer(add_completion=False, help="Generate the OutcomeLens demo data (parquet part files + truth.json).")


@app.command()
def main(
    out: Path = typer.Option(..., "--out", help="output directory"),
    size: int = typer.Option(50_000, "--size", help="number of conversations"),
    seed: int = typer.Option(42, "--seed", help="random seed (same seed and size = byte-identical files)"),
    days: int = typer.Option(180, "--days", help="length of the period in days"),
    end_date: str = typer.Option("2026-11-01", "--end-date", help="end of the period (exclusive), YYYY-MM-DD"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Write the demo raw tables and truth.json under --out."""
    started = time.perf_counter()
    truth = generate(
        out, conversations=size, seed=seed, days=days, end_date=date.fromisoformat(end_date), progress=progress
    )
    elapsed = time.perf_counter() - started
    console = Console()
    console.print(f"wrote {size:,} conversations (seed {seed}) to {out} in {elapsed:.1f} s")
    for table, rows in truth["rows"].items():
        console.print(f"  {table:<36} {rows:>12,} rows")
    console.print(f"  truth: {Path(out) / 'truth.json'}")


if __name__ == "__main__":
    app()
