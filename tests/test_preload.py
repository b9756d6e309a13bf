"""The preloading command server (pipeline/cli/preload.py, preload_server.py): a command run through it prints
the same and exits the same as one run in its own process, in a fraction of the CPU time; a changed
configuration or code, a killed server or another user's process never gets a stale or foreign answer;
a command that may ask for a password runs in its own process so that the password is not echoed.
Each test's servers live in a folder of its own and are gone when the test ends."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import pytest

from pipeline.cli import preload
from pipeline.core.errors import ExitCode
from pipeline.core.paths import REPO_ROOT, DataPaths
from tests.search.conftest import CORPUS, valid_id, write_item

CODE = "J118-WS·2024-D10-KW-0001"
PASSWORD = "correct-horse-7"
FAST_CPU = 0.3          # a command through the server: the client alone (Python + the client module)
SLOW_CPU = 0.4          # a command in its own process: Django alone costs more


def _env(root: Path, folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("STATION_PASSWORD")}
    env.update({"STATION_DATA": str(root), "STATION_PRELOAD": "1", "STATION_PRELOAD_DIR": str(folder),
                "COLUMNS": "200", "STATION_PRELOAD_IDLE": "120", **extra})
    return env


def _station(env: dict, *args: str, cwd: Path = REPO_ROOT) -> tuple[subprocess.CompletedProcess, float]:
    """Run `python -m pipeline args`; the result and the CPU time the command's own process used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _servers(folder: Path) -> dict[str, int]:
    """Lock file name → pid, for every server alive in folder (it holds its lock)."""
    alive = {}
    for lock in folder.glob("*.lock"):
        fd = os.open(lock, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            alive[lock.name] = int(lock.read_text().strip() or 0)
        finally:
            os.close(fd)
    return alive


def _ready(folder: Path, without: set[str] = frozenset(), timeout: float = 120) -> str:
    """Wait for a server (other than those named) to listen; its lock file name."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in set(_servers(folder)) - set(without):
            probe = socket.socket(socket.AF_UNIX)
            try:
                probe.connect(str(folder / name.replace(".lock", ".sock")))
                return name
            except OSError:
                pass
            finally:
                probe.close()
        time.sleep(0.2)
    raise AssertionError(f"no preload server came up in {folder}: {[p.name for p in folder.iterdir()]}")


def _gone(folder: Path, name: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name not in _servers(folder):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def folder():
    """The servers' folder (short: a socket's path has at most 107 bytes); every server in it is stopped."""
    base = Path(tempfile.mkdtemp(prefix="s5d-", dir="/tmp"))
    yield base / "run"
    # SIGTERM every live server until none is left: a server whose start a command began just before the end
    # (a fresh key: changed code or configuration) may come up a moment later and is stopped too
    left = _servers(base / "run") if (base / "run").exists() else {}
    deadline = time.monotonic() + 60
    while left and time.monotonic() < deadline:
        for pid in left.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        time.sleep(0.5)
        left = _servers(base / "run")
    for pid in left.values():
        os.kill(pid, signal.SIGKILL)       # never leave one behind, even when the assertion below fails
    shutil.rmtree(base, ignore_errors=True)
    assert not left, f"preload servers left running 60 s after SIGTERM: {left}"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A data root with a station head and the search corpus filed (in archive/ only: not catalogued), its
    index built."""
    root = tmp_path_factory.mktemp("preload") / "data"
    env = {**_env(root, Path("/nonexistent")), "STATION_PRELOAD": "0", "STATION_PASSWORD_HEAD": PASSWORD}
    init, _ = _station(env, "init", "--head", "head", "--head-name", "测试站长",
                       "--head-id", valid_id("11010519800101001"))
    assert init.returncode == 0, init.stderr
    for meta in CORPUS:
        write_item(DataPaths(root).archive, meta)
    searched, _ = _station(env, "search", "张伟", "--json")     # builds the index once
    assert searched.returncode == 0, searched.stderr
    return root


def _timeless(out: str) -> str:
    """A search's output without the time it took."""
    return re.sub(r'"elapsed_ms": [0-9.]+', '"elapsed_ms": …', out)


COMMANDS = [("status", "--json"), ("status",), ("search", "张伟 电工", "--json"), ("show", CODE, "--json"), ("--help",),
            ("search", "--limit", "many", "张伟")]


def test_a_command_through_the_server_prints_and_exits_the_same(root, folder):
    env = _env(root, folder)
    first, _ = _station(env, "status", "--json")         # no server yet: runs here, starts one
    assert first.returncode == 0, first.stderr
    _ready(folder)
    for args in COMMANDS:
        alone, alone_cpu = _station({**env, "STATION_PRELOAD": "0"}, *args)
        served, served_cpu = _station(env, *args)
        assert (served.returncode, _timeless(served.stdout), served.stderr) == \
            (alone.returncode, _timeless(alone.stdout), alone.stderr), args
        assert served_cpu < FAST_CPU < SLOW_CPU < alone_cpu, (args, served_cpu, alone_cpu)
    missing, _ = _station(env, "show", CODE, "--json")       # filed in archive/ only, not catalogued
    assert missing.returncode == ExitCode.NOT_FOUND and "错误" in missing.stderr and CODE in missing.stderr
    assert [h["archival_code"] for h in json.loads(_station(env, "search", "张伟 电工", "--json")[0].stdout)["hits"]]
    usage, _ = _station(env, "search", "--limit", "many", "张伟")
    assert usage.returncode == 2 and "的值无效" in usage.stderr       # Typer's usage error, in Chinese
    assert len(_servers(folder)) == 1


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)       # as a login shell's terminal: getpass opens /dev/tty


def _on_terminal(env: dict, *args: str, typed: bytes = b"", stderr=None) -> tuple[int, bytes]:
    """Run the command on a pseudo-terminal (its controlling terminal, stdin, stdout, stderr); its exit code
    and everything the terminal showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=REPO_ROOT, env=env,
                               stdin=follower, stdout=follower, stderr=stderr or follower, start_new_session=True,
                               preexec_fn=_controlling_terminal)  # noqa: PLW1509 — single-threaded test
    os.close(follower)
    shown, sent = b"", False
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError(f"no output from {args}: {shown!r}")
        try:
            chunk = os.read(leader, 65536)
        except OSError:         # the terminal's other side closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
        if typed and not sent and "密码".encode() in shown:
            os.write(leader, typed)
            sent = True
    os.close(leader)
    return process.wait(timeout=60), shown


def test_colours_and_width_follow_each_callers_terminal(root, folder):
    env = _env(root, folder, TERM="xterm-256color", COLUMNS="100")
    _station(env, "status")
    _ready(folder)
    for args in (("status",), ("show", CODE), ("search", "--help")):
        alone = _on_terminal({**env, "STATION_PRELOAD": "0"}, *args)
        served = _on_terminal(env, *args)
        assert served == alone, args
    assert served[0] == 0 and b"\x1b[" in served[1]     # coloured: the server itself has no terminal
    narrow = {**env, "COLUMNS": "60"}       # the same server (the width is not part of its key)
    assert _on_terminal(narrow, "search", "--help") == _on_terminal({**narrow, "STATION_PRELOAD": "0"}, "search",
                                                                     "--help") != served
    piped, _ = _station(env, "show", CODE)
    assert piped.returncode == ExitCode.NOT_FOUND and "\x1b[" not in piped.stderr


def test_a_password_prompt_stays_on_the_terminal_and_does_not_echo(root, folder):
    """getpass asks on the controlling terminal, which a process forked by the server does not have: a
    command that may ask runs in its own process."""
    env = _env(root, folder)
    _station(env, "status", "--json")
    _ready(folder)
    with tempfile.TemporaryFile() as errors:        # stderr to a file: the prompt must still reach the terminal
        code, shown = _on_terminal(env, "show", CODE, "--user", "head", "--json", typed=PASSWORD.encode() + b"\n",
                                   stderr=errors)
        errors.seek(0)
        said = errors.read().decode()
    assert code == ExitCode.NOT_FOUND, said     # signed in, then: not catalogued
    assert "head 的密码".encode() in shown and PASSWORD.encode() not in shown
    assert CODE in said and "密码" not in said and "Warning" not in said


def test_a_changed_configuration_gets_a_fresh_server(root, folder, tmp_path):
    config = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    env = _env(root, folder, STATION_CONFIG=str(config))
    _station(env, "status", "--json")
    old = _ready(folder)
    station = config / "station.toml"
    station.write_text(station.read_text(encoding="utf-8").replace('name = "', 'name = "新', 1), encoding="utf-8")
    changed, cpu = _station(env, "status", "--json")
    alone, _ = _station({**env, "STATION_PRELOAD": "0"}, "status", "--json")
    assert (changed.returncode, changed.stdout) == (alone.returncode, alone.stdout) and cpu > SLOW_CPU
    fresh = _ready(folder, without={old})
    assert _gone(folder, old)
    again, cpu = _station(env, "status", "--json")
    assert again.stdout == alone.stdout and cpu < FAST_CPU and set(_servers(folder)) == {fresh}


def test_changed_code_gets_a_fresh_server(root, folder, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT / "pipeline", tree / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "config", tree / "config")
    env = _env(root, folder)
    _station(env, "status", "--json", cwd=tree)
    old = _ready(folder)
    served, cpu = _station(env, "status", "--json", cwd=tree)
    assert served.returncode == 0 and cpu < FAST_CPU
    items = tree / "pipeline" / "cli" / "items.py"
    items.write_text(items.read_text(encoding="utf-8").replace("档案文件", "档案文件 ", 1), encoding="utf-8")
    changed, cpu = _station(env, "status", "--json", cwd=tree)
    assert changed.stdout == served.stdout and cpu > SLOW_CPU
    assert _gone(folder, old)
    _ready(folder, without={old})


def test_a_killed_server_leaves_the_next_command_working(root, folder):
    env = _env(root, folder)
    alone, _ = _station({**env, "STATION_PRELOAD": "0"}, "status", "--json")
    _station(env, "status", "--json")
    name = _ready(folder)
    os.kill(_servers(folder)[name], signal.SIGKILL)
    assert _gone(folder, name)
    assert (folder / name.replace(".lock", ".sock")).exists()     # a dead server's socket is left behind
    after, cpu = _station(env, "status", "--json")
    assert (after.returncode, after.stdout, after.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert cpu > SLOW_CPU
    _ready(folder)
    served, cpu = _station(env, "status", "--json")
    assert served.stdout == alone.stdout and cpu < FAST_CPU


def test_an_idle_server_exits(root, folder):
    env = _env(root, folder, STATION_PRELOAD_IDLE="3")
    _station(env, "status", "--json")
    name = _ready(folder)
    assert _gone(folder, name, timeout=30)
    assert not (folder / name.replace(".lock", ".sock")).exists()


def test_off_switches_start_no_server(root, folder, tmp_path):
    done, cpu = _station(_env(root, folder, STATION_PRELOAD="0"), "status", "--json")
    assert done.returncode == 0 and not folder.exists()
    config = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    station = config / "station.toml"
    text = station.read_text(encoding="utf-8")
    assert re.search(r"(?m)^preload = true", text)
    station.write_text(re.sub(r"(?m)^preload = true", "preload = false", text), encoding="utf-8")
    for _ in range(2):
        done, cpu = _station(_env(root, folder, STATION_CONFIG=str(config)), "status", "--json")
        assert done.returncode == 0 and cpu > SLOW_CPU
    time.sleep(1)
    assert not folder.exists() or not _servers(folder)


def test_a_folder_others_may_open_is_not_used(root, folder):
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    done, _ = _station(_env(root, folder), "status", "--json")
    assert done.returncode == 0
    time.sleep(1)
    assert list(folder.iterdir()) == []


def test_only_the_same_user_is_served():
    """SO_PEERCRED: the server (and the client) accept only a peer running as their own user."""
    ours, theirs = socket.socketpair(socket.AF_UNIX)
    with ours, theirs:
        assert preload.peer_uid(ours) == os.getuid()
        assert preload.peer_allowed(ours, os.getuid())
        assert not preload.peer_allowed(ours, os.getuid() + 1)
    info = os.stat_result((0o40700, 0, 0, 0, os.getuid(), 0, 0, 0, 0, 0))
    assert preload.folder_private(info, os.getuid())
    assert not preload.folder_private(info, os.getuid() + 1)
    assert not preload.folder_private(os.stat_result((0o40750, 0, 0, 0, os.getuid(), 0, 0, 0, 0, 0)), os.getuid())
    assert not preload.folder_private(os.stat_result((0o120700, 0, 0, 0, os.getuid(), 0, 0, 0, 0, 0)), os.getuid())


def test_passwords_and_the_key_stay_out_of_the_key_and_the_server():
    env = {"STATION_DATA": "/d", "STATION_PASSWORD_HEAD": "x", "STATION_PASSWORD": "y", "STATION_KEY": "k",
           "PGPASSWORD": "p", "DATABASE_URL": "postgres://h/db", "PATH": "/bin", "SSH_TTY": "/dev/pts/1"}
    assert preload.key_env(env) == {"DATABASE_URL": "postgres://h/db", "STATION_DATA": "/d"}


CLIENT = """
import sys
sys.path[0] = sys.argv.pop(1)                      # as `python -m pipeline` run from the repository
from pipeline.cli import preload
sys.argv[0] = sys.path[0] + "/pipeline/__main__.py"
plan = preload.plan_for(sys.argv[1:], dict(__import__("os").environ))
plan.through = True                                 # this test's point: a command that waits, in the server
sys.exit(preload.through_server(plan))
"""


def test_ctrl_c_reaches_the_command_and_ends_the_client_the_same_way(root, folder):
    """A command waiting for input in the server's process: Ctrl-C (SIGINT to the client) is passed on to
    it, and the client ends with the command's exit code (130), as the command alone would."""
    env = _env(root, folder)
    _station(env, "status", "--json")
    _ready(folder)
    ended = {}
    for how, argv in (("alone", [sys.executable, "-m", "pipeline"]), ("served", [sys.executable, "-c", CLIENT,
                                                                                 str(REPO_ROOT)])):
        leader, follower = pty.openpty()
        process = subprocess.Popen([*argv, "show", CODE, "--user", "head"], cwd=REPO_ROOT,
                                   env={**env, "STATION_PRELOAD": "0" if how == "alone" else "1"},
                                   stdin=follower, stdout=follower, stderr=follower, start_new_session=True)
        os.close(follower)
        shown = b""
        try:
            while "密码".encode() not in shown:         # asking for the password: waiting on its terminal
                ready, _, _ = select.select([leader], [], [], 60)
                assert ready, (how, shown)
                shown += os.read(leader, 65536)
            process.send_signal(signal.SIGINT)
            ended[how] = process.wait(timeout=60)
        finally:
            process.kill()      # if it did not end: the server then kills the command too (client gone)
            os.close(leader)
    assert ended["served"] == ended["alone"] == 130      # the CLI's answer to Ctrl-C, not the client's own


def test_a_request_with_another_key_is_refused(root, folder):
    """The server compares the whole key, not only the digest in its socket's name: not started."""
    env = _env(root, folder)
    _station(env, "status", "--json")
    name = _ready(folder)
    stranger = preload.Plan(str(folder), {"code": "another tree"}, name.removesuffix(".lock"), through=True)
    with pytest.raises(preload.NotStarted, match="key differs"):
        preload.through_server(stranger)
    served, cpu = _station(env, "status", "--json")          # the server goes on serving its own key
    assert served.returncode == 0 and cpu < FAST_CPU
