"""Background services started by `outcomelens up`, tracked by pid files so `down` stops only them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from outcomelens.core import paths


def _pid_file(name: str) -> Path:
    return paths.run_dir() / f"{name}.pid"


def start_detached(name: str, args: list[str], *, env: dict[str, str], cwd: Path) -> int:
    log = (paths.logs_dir() / f"{name}.log").open("ab")
    process = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    record(name, process.pid)
    return process.pid


def record(name: str, pid: int) -> None:
    proc = psutil.Process(pid)
    # The create time guards against a recycled pid: we never signal a process we did not start.
    _pid_file(name).write_text(f"{pid} {proc.create_time()}\n")


def running(name: str) -> psutil.Process | None:
    path = _pid_file(name)
    if not path.exists():
        return None
    pid_text, created_text = path.read_text().split()
    try:
        proc = psutil.Process(int(pid_text))
        if abs(proc.create_time() - float(created_text)) < 0.01 and proc.is_running():
            return proc
    except psutil.NoSuchProcess:
        pass
    path.unlink(missing_ok=True)
    return None


def stop(name: str, timeout_s: float = 15.0) -> bool:
    proc = running(name)
    if proc is None:
        return False
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.2)
    if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
        os.killpg(proc.pid, signal.SIGKILL)
    _pid_file(name).unlink(missing_ok=True)
    return True
