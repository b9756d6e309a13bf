"""Command start-up: median wall time (and CPU time) of quick `station` commands on a data root.

    STATION_DATA=out/demo python bench/startup.py [--runs 10] [--json]

Measures `python -m pipeline --help`, `status --json`, `search 张伟 --json`, `show <档号> --json`
(the first hit of the search), each --runs times, and two floors in the same run: a bare
interpreter (`python -c pass`) and Django set up with the catalog models (`django_setup.setup()`),
which every catalog command needs. --before TREE runs the four commands from another source tree
too (e.g. `git archive <commit> | tar -x -C /tmp/base`), interleaved with this one, for a
before/after in one run. --preload times status, search and show through a warm preloading command
server too (pipeline/cli/preload_server.py; started once before the runs, in a folder of its own, and
stopped at the end), interleaved with the same commands in their own process (STATION_PRELOAD=0, as
every other case). Subprocess timing (hyperfine is not installed here).
CPU time (user + sys of the child) is given beside wall time: on a loaded machine wall time
includes waiting for a core, CPU time does not. --cold drops the kernel's page cache before every
run (`sync; echo 3 > /proc/sys/vm/drop_caches`, needs root): Python, the libraries and the data root
are then read from disk, as on the first command after a reboot.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


COLD = False


def _drop_cache() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


IN_PROCESS = {**os.environ, "STATION_PRELOAD": "0"}     # the command in its own process, no server


def _server_cpu(env: dict | None) -> float:
    """CPU seconds the preload server of env and the processes it has waited for have used (/proc), or 0."""
    if not env or "STATION_PRELOAD_DIR" not in env:
        return 0.0
    total = 0.0
    for lock in Path(env["STATION_PRELOAD_DIR"]).glob("*.lock"):
        try:
            fields = Path(f"/proc/{int(lock.read_text())}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")   # utime stime cutime cstime
    return total


def _run_once(argv: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds: the child's, and for a preloaded command also the server's handler and
    command processes) of one run; a failing command stops the benchmark."""
    if COLD:
        _drop_cache()
    served_before = _server_cpu(env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env or IN_PROCESS, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-500:]}")
    served = 0.0
    if env and "STATION_PRELOAD_DIR" in env:
        time.sleep(0.2)         # the server reaps its handler (SIGCHLD): then its children's CPU is counted
        served = _server_cpu(env) - served_before
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + served


def measure(cases: dict[str, tuple], runs: int) -> dict:
    """Per case: median and min wall time and median CPU time over runs (one warm-up run first),
    the cases interleaved run by run so that a change in the machine's load hits them all alike."""
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for case in cases.values():
        _run_once(*case)
    for _ in range(runs):
        for name, case in cases.items():
            timings[name].append(_run_once(*case))
            print(f"run\t{name}\t{timings[name][-1][0]:.3f}\t{timings[name][-1][1]:.3f}", file=sys.stderr, flush=True)
    results = {}
    for name, pairs in timings.items():
        walls, cpus = zip(*pairs, strict=False)
        results[name] = {"median_s": round(statistics.median(walls), 3), "min_s": round(min(walls), 3),
                         "cpu_median_s": round(statistics.median(cpus), 3), "runs": runs}
    return results


def first_code() -> str:
    """An archival code of the data root (the first search hit)."""
    out = subprocess.run([PY, "-m", "pipeline", "search", "张伟", "--json"], cwd=ROOT, env=IN_PROCESS,
                         capture_output=True, text=True, check=True).stdout
    hits = json.loads(out)["hits"]
    if not hits:
        raise SystemExit("no archive item matches 张伟: run scripts/demo.sh first (STATION_DATA)")
    return hits[0]["archival_code"]


def server_start(env: dict) -> None:
    """Run one command that starts a preload server for env, and wait until that server listens."""
    subprocess.run([PY, "-m", "pipeline", "status", "--json"], cwd=ROOT, env=env, check=True, capture_output=True)
    folder = Path(env["STATION_PRELOAD_DIR"])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        for path in folder.glob("*.sock"):
            probe = socket.socket(socket.AF_UNIX)
            try:
                probe.connect(str(path))
                return
            except OSError:
                pass
            finally:
                probe.close()
        time.sleep(0.2)
    raise SystemExit(f"no preload server came up in {folder}")


def servers_stop(folder: Path) -> None:
    """Stop every preload server of folder (each holds its lock file; its pid is written in it) and remove
    the folder once they have gone."""
    for lock in folder.glob("*.lock") if folder.exists() else ():
        fd = os.open(lock, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.kill(int(lock.read_text().strip()), signal.SIGTERM)
            fcntl.flock(fd, fcntl.LOCK_SH)      # released when that server has exited
        finally:
            os.close(fd)
    shutil.rmtree(folder.parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--before", type=Path, help="another source tree to time the same commands from")
    parser.add_argument("--cold", action="store_true", help="drop the page cache before every run (root)")
    parser.add_argument("--no-help", action="store_true", help="leave `--help` out (shorter run)")
    parser.add_argument("--preload", action="store_true",
                        help="status, search, show through a warm preload server too")
    args = parser.parse_args()
    global COLD
    COLD = args.cold
    if "STATION_DATA" not in os.environ:
        raise SystemExit("set STATION_DATA to a data root with a filed round (scripts/demo.sh makes one)")
    code = first_code()
    commands = {**({} if args.no_help else {"--help": ["--help"]}), "status --json": ["status", "--json"],
                "search 张伟 --json": ["search", "张伟", "--json"], "show <档号> --json": ["show", code, "--json"]}
    cases = {"python -c pass": ([PY, "-c", "pass"], ROOT),
             "django setup (floor)": ([PY, "-c", "from pipeline.site import django_setup; django_setup.setup()"], ROOT)}
    for name, argv in commands.items():
        cases[name] = ([PY, "-m", "pipeline", *argv], ROOT)
        if args.before:
            cases[f"{name} (before)"] = ([PY, "-m", "pipeline", *argv], args.before.resolve())
    folder = Path(tempfile.mkdtemp(prefix="station-bench-")) / "run"
    if args.preload:
        served = {**os.environ, "STATION_PRELOAD": "1", "STATION_PRELOAD_DIR": str(folder)}
        server_start(served)
        for name, argv in commands.items():
            if name != "--help":
                cases[f"{name} (preloaded)"] = ([PY, "-m", "pipeline", *argv], ROOT, served)
    load_before = os.getloadavg()
    try:
        results = measure(cases, args.runs)
    finally:
        servers_stop(folder)
    results["_meta"] = {"show": code, "cores": os.cpu_count(), "cache": "cold" if args.cold else "warm",
                        "load_before": [round(x, 1) for x in load_before],
                        "load_after": [round(x, 1) for x in os.getloadavg()], "python": sys.version.split()[0],
                        "preload": args.preload}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print(f"{'command':<44} {'median':>8} {'min':>8} {'cpu':>8}")
    for name, r in results.items():
        if not name.startswith("_"):
            print(f"{name:<44} {r['median_s']:>7.3f}s {r['min_s']:>7.3f}s {r['cpu_median_s']:>7.3f}s")
    print(results["_meta"])


if __name__ == "__main__":
    main()
