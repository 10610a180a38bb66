"""The services `outcomelens up` starts, run and restarted by supervisord (the `supervisor` package).

supervisord reads a generated config in the run dir (0600, the dir 0700) and is controlled over a
unix socket there (XML-RPC; never TCP). Each program restarts after a crash: at once when it had
run (up to `startsecs`), with supervisord's growing backoff (1 s, 2 s, 3 s …, `startretries` times,
then FATAL) when it keeps dying while starting. supervisord and its children run with umask 077, so
every log they create is owner-only.

A program killed outright (SIGKILL, OOM) leaves its children behind: the collector's uvicorn workers
would keep its port and every restart would fail to bind. An event listener (this module run as a
script) kills what is left of a program's process group whenever it exits unexpectedly.

Secrets never reach a command line: they are in supervisord's own environment (inherited by every
child, readable only by the owner in /proc), and a program that needs one under another name names it
as `%(ENV_…)s`, which supervisord expands when it reads the config.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from supervisor import childutils
from supervisor.xmlrpc import SupervisorTransport

from outcomelens.core import paths

SUPERVISORD = str(Path(sys.executable).with_name("supervisord"))
START_TIMEOUT_S = 30.0


class SupervisionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Program:
    """One supervised service. `env` holds its own, non-secret variables; `env_from` maps a variable
    of this program to one of supervisord's environment (how a secret is passed under another name)."""

    name: str
    command: list[str]
    cwd: Path
    priority: int  # started in ascending order, stopped in descending order
    env: dict[str, str] = field(default_factory=dict)
    env_from: dict[str, str] = field(default_factory=dict)
    health_url: str | None = None  # an HTTP GET that answers 2xx once the service serves
    stop_wait_s: int = 15  # SIGTERM, then SIGKILL of the whole group after this long
    start_s: int = 5  # running this long counts as started; a crash before it backs off

    @property
    def log_path(self) -> Path:
        return paths.logs_dir() / f"{self.name}.log"


def config_path() -> Path:
    return paths.run_dir() / "supervisord.conf"


def socket_path() -> Path:
    return paths.run_dir() / "supervisor.sock"


def supervisord_log() -> Path:
    return paths.logs_dir() / "supervisord.log"


def _literal(value: str) -> str:
    """A value for supervisord's config: it %-expands every value, so a literal % is doubled."""
    if any(c in value for c in '"\n'):
        raise SupervisionError(f"cannot pass {value!r} to supervisord (a quote or a newline)")
    return value.replace("%", "%%")


def _environment(program: Program) -> str:
    pairs = [f'{key}="{_literal(value)}"' for key, value in program.env.items()]
    pairs += [f'{key}="%(ENV_{source})s"' for key, source in program.env_from.items()]
    return ",".join(pairs)


def _program_section(program: Program) -> dict[str, str]:
    return {
        "command": _literal(shlex.join(program.command)),
        "directory": _literal(str(program.cwd)),
        "environment": _environment(program),
        "priority": str(program.priority),
        "autostart": "true",
        "autorestart": "true",
        "startsecs": str(program.start_s),
        "startretries": "10",
        "stopsignal": "TERM",
        "stopwaitsecs": str(program.stop_wait_s),
        # The collector's workers, Cube's node and the webserver's code server are children: signal all.
        "stopasgroup": "true",
        "killasgroup": "true",
        "umask": "077",
        "redirect_stderr": "true",
        "stdout_logfile": _literal(str(program.log_path)),
        "stdout_logfile_maxbytes": "50MB",
        "stdout_logfile_backups": "5",
    }


def _reaper_section() -> dict[str, str]:
    return {
        "command": _literal(shlex.join([sys.executable, "-m", "outcomelens.core.processes"])),
        "directory": _literal(str(paths.PROJECT_ROOT)),
        "events": "PROCESS_STATE_EXITED",
        "priority": "1",  # started first, stopped last
        "autorestart": "true",
        "umask": "077",
        "stderr_logfile": _literal(str(paths.logs_dir() / "reaper.log")),  # stdout is the event protocol
    }


def render_config(programs: list[Program]) -> str:
    run, sock = paths.run_dir(), socket_path()
    config = configparser.ConfigParser(interpolation=None)
    config["unix_http_server"] = {"file": _literal(str(sock)), "chmod": "0700"}
    config["supervisord"] = {
        # Its own log is one line per state change, never rotated: `restarts()` counts crashes in it.
        "logfile": _literal(str(supervisord_log())),
        "logfile_maxbytes": "0",
        "pidfile": _literal(str(run / "supervisord.pid")),
        "childlogdir": _literal(str(paths.logs_dir())),
        "umask": "077",
        "identifier": "outcomelens",
    }
    config["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"
    }
    config["supervisorctl"] = {"serverurl": _literal(f"unix://{sock}")}
    config["eventlistener:reaper"] = _reaper_section()
    for program in programs:
        config[f"program:{program.name}"] = _program_section(program)
    text = io.StringIO()
    config.write(text)
    return text.getvalue()


def rpc() -> xmlrpc.client.ServerProxy:
    """supervisord's XML-RPC interface over its unix socket (the URL's host is ignored)."""
    transport = SupervisorTransport(None, None, serverurl=f"unix://{socket_path()}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def supervisor_running() -> bool:
    if not socket_path().exists():
        return False
    try:
        return rpc().supervisor.getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def start(programs: list[Program], env: dict[str, str]) -> None:
    """Run `programs` under supervisord: start it with `env` (secrets included) if it is not running,
    else apply the new config as `supervisorctl update` does and start whatever is stopped."""
    paths.write_private(config_path(), render_config(programs))
    paths.restrict_logs()
    if supervisor_running():
        _apply_changed_config()
        rpc().supervisor.startAllProcesses(False)
        return
    socket_path().unlink(missing_ok=True)  # left by a supervisord that was killed
    # supervisord forks into the background; the process started here exits once it has. Its own
    # umask setting applies only after it opened its log, so it starts with 077 already.
    done = subprocess.run([SUPERVISORD, "-c", str(config_path())], env=env, cwd=paths.data_dir(),
                          capture_output=True, text=True, timeout=START_TIMEOUT_S, umask=0o077)
    if done.returncode != 0:
        raise SupervisionError(f"supervisord did not start: {done.stdout}{done.stderr} (log: {supervisord_log()})")
    deadline = time.monotonic() + START_TIMEOUT_S
    while not supervisor_running():
        if time.monotonic() > deadline:
            raise SupervisionError(f"supervisord does not answer on {socket_path()} (log: {supervisord_log()})")
        time.sleep(0.2)


def _apply_changed_config() -> None:
    server = rpc().supervisor
    [[added, changed, removed]] = server.reloadConfig()
    for name in changed + removed:
        server.stopProcessGroup(name)
        server.removeProcessGroup(name)
    for name in changed + added:
        server.addProcessGroup(name)


def info(name: str) -> dict | None:
    """supervisord's view of one program (statename, pid, start, now …), None if not supervised."""
    if not supervisor_running():
        return None
    try:
        return rpc().supervisor.getProcessInfo(name)
    except xmlrpc.client.Fault:
        return None


def running(name: str) -> psutil.Process | None:
    """The process of a supervised program that is up, else None."""
    state = info(name)
    if state is None or state["statename"] != "RUNNING" or not state["pid"]:
        return None
    try:
        return psutil.Process(state["pid"])
    except psutil.NoSuchProcess:
        return None


def restarts(name: str) -> int:
    """How often `name` crashed after it had started, since supervisord started: read from supervisord's
    own log, which has one line per state change ("success: NAME entered RUNNING", "exited: NAME (…;
    not expected)"). A failed attempt while it backs off (never RUNNING) is not one more restart."""
    try:
        log = supervisord_log().read_text(errors="replace")
    except FileNotFoundError:
        return 0
    current = log.rsplit("supervisord started with pid", 1)[-1]
    event = re.compile(rf"(success): {re.escape(name)} entered RUNNING|(exited): {re.escape(name)} \([^)]*not expected\)")
    count, was_running = 0, False
    for match in event.finditer(current):
        if match.group(1):
            was_running = True
        elif was_running:
            count, was_running = count + 1, False
    return count


def shutdown(timeout_s: float = 60.0) -> bool:
    """Stop every program (in descending priority), then supervisord; True if it was running."""
    if not supervisor_running():
        return False
    pid = int((paths.run_dir() / "supervisord.pid").read_text())
    try:
        # Every process it runs, grandchildren included: a program's own children (the Dagster
        # webserver's and daemon's code servers) can outlive it by their heartbeat timeout.
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    rpc().supervisor.shutdown()
    try:
        psutil.Process(pid).wait(timeout_s)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired as exc:
        raise SupervisionError(f"supervisord (pid {pid}) still runs {timeout_s:.0f}s after shutdown") from exc
    _end(descendants)
    return True


def _end(procs: list[psutil.Process], grace_s: float = 10.0) -> None:
    """Terminate what is still running of `procs`, and kill what has not ended after `grace_s`."""
    alive = [p for p in procs if p.is_running()]
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, still = psutil.wait_procs(alive, timeout=grace_s)
    for proc in still:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


def reap_orphans_forever() -> None:
    """The event listener: on each unexpected exit, SIGKILL the dead program's process group
    (supervisord makes each program the leader of a group whose id is its pid)."""
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        state, _ = childutils.eventdata(payload + "\n")
        if headers["eventname"] == "PROCESS_STATE_EXITED" and state.get("expected") == "0":
            try:
                os.killpg(int(state["pid"]), signal.SIGKILL)
                print(f"killed what {state['processname']} (pid {state['pid']}) left running", file=sys.stderr)
            except ProcessLookupError:
                pass  # nothing was left
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    reap_orphans_forever()
