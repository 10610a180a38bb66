"""Bulk: the demo at a given size landed and modelled end to end; wall time per phase, peak memory.

    .venv/bin/python benchmarks/bulk_load.py --size 385000 --data-dir /tmp/ol-bulk-1m \
        --out benchmarks/results/bulk_1m.json

1. `outcomelens demo --size N` in its own data directory (a fresh embedded Postgres; the generator;
   dlt, dbt and the insights through one Dagster run; the answer from Cube), as a user runs it;
2. meanwhile, every `--sample-s` seconds, the memory of the whole process tree: the demo process and
   its children (dbt, node for Cube and the semantic layer) and the embedded Postgres (postmaster
   and backends, which pg_ctl starts outside the demo's tree). Peak of the summed PSS (shared pages
   split between the processes sharing them, so Postgres' shared buffers count once) and of the
   summed RSS (shared pages counted in every process: an upper bound);
3. the phases: from the demo's own lines (warehouse, generate, Dagster run, Cube), the Dagster run's
   steps (dlt landing, dbt build, insights, checks) from its event log, dlt's extract / normalize /
   load from the pipeline's trace, and the slowest dbt nodes from run_results.json.

The JSON (--out) holds all of it plus the machine: cores, memory, load average before and after.
Size is in conversations: about 2.6 LLM calls each (385,000 ~ 1M calls; 3,850,000 ~ 10M).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What the demo prints at each phase boundary (outcomelens/cli/demo.py), in order.
MARKERS = (
    ("warehouse", re.compile(r"^warehouse: ")),
    ("generate", re.compile(r"^generated [\d,]+ conversations in ")),
    ("pipeline", re.compile(r"^Dagster run \S+ succeeded in ")),
)
RUN_ID = re.compile(r"^Dagster run (\S+) succeeded in")


class MemorySampler(threading.Thread):
    """Samples the summed memory of the demo's process tree and of the embedded Postgres."""

    def __init__(self, root_pid: int, pgdata: Path, interval_s: float):
        super().__init__(daemon=True)
        self.root_pid, self.pgdata, self.interval_s = root_pid, pgdata, interval_s
        self.stop_event = threading.Event()
        self.samples: list[dict] = []
        self.peak = {"pss_mb": 0.0, "rss_mb": 0.0}

    def _postmaster(self) -> psutil.Process | None:
        try:
            return psutil.Process(int((self.pgdata / "postmaster.pid").read_text().split()[0]))
        except (OSError, ValueError, IndexError, psutil.Error):
            return None

    def _tree(self) -> dict[str, list[psutil.Process]]:
        groups: dict[str, list[psutil.Process]] = {"demo": [], "postgres": []}
        try:
            root = psutil.Process(self.root_pid)
            groups["demo"] = [root, *root.children(recursive=True)]
        except psutil.Error:
            pass
        postmaster = self._postmaster()
        if postmaster is not None:
            try:
                groups["postgres"] = [postmaster, *postmaster.children(recursive=True)]
            except psutil.Error:
                pass
        return groups

    def sample(self) -> dict:
        at = time.monotonic()
        sums = {}
        for group, procs in self._tree().items():
            pss = rss = 0
            for proc in procs:
                try:
                    info = proc.memory_full_info()
                except psutil.Error:
                    continue
                pss += getattr(info, "pss", info.rss)
                rss += info.rss
            sums[group] = {"pss_mb": pss / 2**20, "rss_mb": rss / 2**20, "processes": len(procs)}
        total_pss = sum(g["pss_mb"] for g in sums.values())
        total_rss = sum(g["rss_mb"] for g in sums.values())
        return {"t": at, "pss_mb": total_pss, "rss_mb": total_rss, "groups": sums}

    def run(self) -> None:
        while not self.stop_event.is_set():
            point = self.sample()
            self.samples.append(point)
            if point["pss_mb"] > self.peak["pss_mb"]:
                self.peak = {
                    **self.peak,
                    "pss_mb": point["pss_mb"],
                    "pss_at": point["t"],
                    "pss_groups": point["groups"],
                }
            self.peak["rss_mb"] = max(self.peak["rss_mb"], point["rss_mb"])
            self.stop_event.wait(self.interval_s)


def run_demo(size: int, seed: int, env: dict, log_path: Path, sampler_args: dict) -> tuple[dict, MemorySampler, int]:
    """Run the demo, timestamping each line it prints; returns the line times, the sampler, rc."""
    from outcomelens.core import cube_server

    command = [
        str(ROOT / ".venv" / "bin" / "outcomelens"),
        "demo",
        "--size",
        str(size),
        "--seed",
        str(seed),
        "--cube-port",
        str(cube_server.free_port()),
    ]
    started = time.monotonic()
    marks: dict = {"start": started, "lines": []}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            command,
            env={**env, "COLUMNS": "200"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        sampler = MemorySampler(proc.pid, **sampler_args)
        sampler.start()
        for line in proc.stdout:
            now = time.monotonic()
            log.write(f"{now - started:9.2f} {line}")
            log.flush()
            text = line.strip()
            for name, pattern in MARKERS:
                if name not in marks and pattern.search(text):
                    marks[name] = now
            match = RUN_ID.search(text)
            if match:
                marks["run_id"] = match.group(1)
        rc = proc.wait()
    marks["end"] = time.monotonic()
    sampler.stop_event.set()
    sampler.join()
    return marks, sampler, rc


def demo_phases(marks: dict) -> dict:
    """Seconds per phase of the demo command from its printed lines."""
    phases, previous = {}, marks["start"]
    for name, _ in MARKERS:
        if name in marks:
            phases[name] = round(marks[name] - previous, 1)
            previous = marks[name]
    phases["cube_answer"] = round(marks["end"] - previous, 1)
    phases["total"] = round(marks["end"] - marks["start"], 1)
    return phases


def dagster_steps(run_id: str) -> dict:
    """Wall seconds of each step of the demo's Dagster run, from the instance's event log."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        stats = instance.get_run_step_stats(run_id)
    return {s.step_key: round((s.end_time or 0) - (s.start_time or 0), 1) for s in stats if s.start_time}


def dlt_trace(data_dir: Path) -> dict:
    """dlt's extract / normalize / load seconds of the landing pipeline's last run."""
    import dlt

    pipeline = dlt.attach(pipeline_name="outcomelens_landing", pipelines_dir=str(data_dir / "dlt"))
    trace = pipeline.last_trace
    if trace is None:
        return {}
    return {step.step: round((step.finished_at - step.started_at).total_seconds(), 1) for step in trace.steps}


def dbt_nodes(started_wall: float, top: int) -> dict:
    """The dbt build of this run (dagster-dbt's per-invocation target dir): time per resource type
    (summed over dbt's threads) and the slowest nodes."""
    candidates = [
        p for p in (ROOT / "dbt_project" / "target").glob("*/run_results.json") if p.stat().st_mtime >= started_wall
    ]
    if not candidates:
        return {}
    path = max(candidates, key=lambda p: p.stat().st_mtime)
    results = json.loads(path.read_text())["results"]
    by_type: dict[str, dict] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        entry = by_type.setdefault(kind, {"nodes": 0, "seconds": 0.0})
        entry["nodes"] += 1
        entry["seconds"] = round(entry["seconds"] + r["execution_time"], 1)
    slowest = sorted(results, key=lambda r: -r["execution_time"])[:top]
    # Test seconds per model tested (the models a test reads, from the build's own manifest).
    tests_by_model: dict[str, float] = {}
    manifest_path = path.parent / "manifest.json"
    if manifest_path.exists():
        nodes = json.loads(manifest_path.read_text())["nodes"]
        for r in results:
            node = nodes.get(r["unique_id"], {})
            if node.get("resource_type") != "test":
                continue
            for parent in node["depends_on"]["nodes"]:
                name = parent.split(".")[-1]
                tests_by_model[name] = round(tests_by_model.get(name, 0.0) + r["execution_time"], 1)
    return {
        "run_results": str(path),
        "elapsed_s": round(json.loads(path.read_text())["elapsed_time"], 1),
        "by_type": by_type,
        "statuses": {s: sum(r["status"] == s for r in results) for s in {r["status"] for r in results}},
        "slowest": [{"node": r["unique_id"], "s": round(r["execution_time"], 1)} for r in slowest],
        "test_s_by_model": dict(sorted(tests_by_model.items(), key=lambda kv: -kv[1])),
    }


def row_counts() -> dict:
    from outcomelens.core import warehouse

    wh = warehouse.ensure_warehouse()
    with wh.connection() as conn, conn.cursor() as cur:
        counts = {}
        for table in ("raw.llm_calls", "raw.conversation_events", "marts.fct_llm_calls", "marts.fct_conversations"):
            cur.execute(f"select count(*) from {table}")
            counts[table] = cur.fetchone()[0]
        cur.execute("select pg_database_size(current_database())")
        counts["database_mb"] = round(cur.fetchone()[0] / 2**20)
    return counts


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, required=True, help="demo conversations (385000 ~ 1M LLM calls)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", type=Path, required=True, help="a new directory (see --replace)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="stop the embedded Postgres of an existing --data-dir and delete the directory first",
    )
    parser.add_argument("--sample-s", type=float, default=0.5, help="memory sampling interval")
    parser.add_argument("--keep-running", action="store_true", help="leave the embedded Postgres running")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    data_dir = args.data_dir.resolve()
    os.environ["OUTCOMELENS_DATA_DIR"] = str(data_dir)
    os.environ.pop("OUTCOMELENS_WAREHOUSE_URL", None)
    os.environ["DAGSTER_HOME"] = str(data_dir / "dagster_home")
    env = dict(os.environ)
    outcomelens = str(ROOT / ".venv" / "bin" / "outcomelens")
    if data_dir.exists() and any(data_dir.iterdir()):
        if not args.replace:
            raise SystemExit(f"{data_dir} is not empty: the benchmark starts from nothing (use --replace)")
        subprocess.run([outcomelens, "down"], env=env, capture_output=True)
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)

    results: dict = {
        "size": args.size,
        "seed": args.seed,
        "data_dir": str(data_dir),
        "machine": machine(),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    started_wall = time.time()
    marks, sampler, rc = run_demo(
        args.size, args.seed, env, data_dir / "bulk-demo.log", {"pgdata": data_dir / "pg", "interval_s": args.sample_s}
    )
    results["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    results["returncode"] = rc
    results["phases_s"] = demo_phases(marks)
    peak = sampler.peak
    results["peak_memory"] = {
        "pss_mb": round(peak["pss_mb"]),
        "rss_mb": round(peak["rss_mb"]),
        "at_s": round(peak.get("pss_at", marks["start"]) - marks["start"], 1),
        "groups_at_peak": {
            g: {k: round(v) for k, v in figures.items()} for g, figures in peak.get("pss_groups", {}).items()
        },
        "samples": len(sampler.samples),
    }
    # Every 10th sample, for a memory-over-time picture.
    results["memory_timeline"] = [
        {
            "t_s": round(s["t"] - marks["start"], 1),
            "pss_mb": round(s["pss_mb"]),
            "postgres_pss_mb": round(s["groups"].get("postgres", {}).get("pss_mb", 0)),
        }
        for s in sampler.samples[::10]
    ]
    if rc == 0 and "run_id" in marks:
        results["dagster_steps_s"] = dagster_steps(marks["run_id"])
        results["dlt_steps_s"] = dlt_trace(data_dir)
        results["dbt"] = dbt_nodes(started_wall, top=40)
        results["rows"] = row_counts()
    if not args.keep_running:
        subprocess.run([outcomelens, "down"], env=env, capture_output=True)

    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    if rc != 0:
        raise SystemExit(f"the demo failed (rc {rc}); its output: {data_dir / 'bulk-demo.log'}")


if __name__ == "__main__":
    main()
