"""Server settings of the embedded Postgres: an analytics warehouse, not initdb's defaults.

initdb sizes a server for a small OLTP box (work_mem 4 MB, max_wal_size 1 GB). dbt's models and tests,
and dlt's merges, sort and hash millions of rows: at 4 MB each sort spills to temporary files, and
bulk writes force a checkpoint every gigabyte of WAL. Only settings a reload applies are changed (no
restart, so a running server takes them at once); a warehouse given by URL is its operator's to tune.
Memory: work_mem is per sort or hash node (hashes may take hash_mem_multiplier = 2 times it), and dbt
runs 4 threads, so 32 MB keeps the worst case well under the bulk target's 4 GB for the whole stack.
"""

from __future__ import annotations

# Values as Postgres shows them (current_setting), so the comparison below is a string one.
SETTINGS: dict[str, str] = {
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
}


def apply(conn) -> list[str]:
    """ALTER SYSTEM the settings that differ, then reload; returns their names. `conn` must be autocommit
    (ALTER SYSTEM cannot run in a transaction)."""
    with conn.cursor() as cur:
        cur.execute("select name, current_setting(name) from pg_settings where name = any(%s)", (list(SETTINGS),))
        current = dict(cur.fetchall())
        changed = [name for name, value in SETTINGS.items() if current.get(name) != value]
        for name in changed:
            cur.execute(f"alter system set {name} = %s", (SETTINGS[name],))
        if changed:
            cur.execute("select pg_reload_conf()")
    return changed
