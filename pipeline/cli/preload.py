"""The `station` command's first step: hand the command to a preloading command server (as Rails' spring
or Mercurial's chg do) when one with the same code, configuration and environment is running, else run
it here exactly as before and start such a server for next time (pipeline/cli/preload_server.py).

Standard library only: this module runs before Django, pydantic or Typer are imported. The server is
found by a digest of everything that changes what a command does (the Python, the code's files, the
configuration, the environment variables read at start-up), in a folder only this user can open.
Anything that goes wrong before the command has started means: run it in this process, as before.
Off: STATION_PRELOAD=0 or `[cli] preload = false` in config/station.toml.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import struct
import sys

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))      # …/pipeline
REPO_ROOT = os.path.dirname(PACKAGE_DIR)
OFF = {"0", "false", "no", "off"}
# Long-running commands and those that manage worker processes stay in the caller's process (and under
# its service manager); init and user management may ask for a password on the terminal (see below).
IN_PROCESS = {"serve", "watch", "ingest"}
PROMPTING = {"init", "users"}
# Read at start-up (settings, configuration, locale, colours, temporary folder): part of the key.
KEY_PREFIXES = ("STATION_", "DJANGO_", "PG", "PYTHON", "LC_", "XDG_", "TYPER_", "_TYPER_")
KEY_NAMES = {"DATABASE_URL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "HOME", "TERM", "COLORTERM",
             "NO_COLOR", "FORCE_COLOR", "PY_COLORS", "TERMINAL_WIDTH", "CLICOLOR", "CLICOLOR_FORCE",
             "GITHUB_ACTIONS", "JUPYTER_COLUMNS", "JUPYTER_LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}
# Secrets read only when a command runs: never in the key, never in the server's own environment.
SECRET_NAMES = {"STATION_KEY", "STATION_USER", "PGPASSWORD", "STATION_PRELOAD"}
SECRET_PREFIX = "STATION_PASSWORD"
LIMITS = ("RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_FSIZE", "RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CPU",
          "RLIMIT_NPROC", "RLIMIT_MEMLOCK")
HEADER = struct.Struct("!Q")


class NotStarted(Exception):
    """The server did not start the command: run it in this process."""


class Plan:
    """Where this command's server listens and whether this command may go through it (False: run
    in-process, it may ask for a password, but keep a server for next time). A plain class: the
    dataclasses module alone would add a tenth of this module's start-up."""

    __slots__ = ("digest", "folder", "key", "through")

    def __init__(self, folder: str, key: dict, digest: str, through: bool) -> None:
        self.folder, self.key, self.digest, self.through = folder, key, digest, through

    @property
    def socket_path(self) -> str:
        return os.path.join(self.folder, self.digest[:32] + ".sock")


def env_secret(name: str) -> bool:
    """True for the variables that hold a password or the archive key, or only steer this client."""
    return name in SECRET_NAMES or name.startswith(SECRET_PREFIX)


def key_env(env: dict[str, str]) -> dict[str, str]:
    """The environment variables that are part of the server's key."""
    return {k: v for k, v in sorted(env.items())
            if not env_secret(k) and (k in KEY_NAMES or k.startswith(KEY_PREFIXES))}


def code_fingerprint(package_dir: str = PACKAGE_DIR) -> str:
    """A digest of the path, size and modification time of every .py file of the package."""
    digest = hashlib.sha256(package_dir.encode())
    for folder, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def config_folder(env: dict[str, str]) -> str:
    """The configuration folder (pipeline.core.paths.config_dir, without importing it)."""
    return os.path.realpath(env.get("STATION_CONFIG") or os.path.join(REPO_ROOT, "config"))


def config_fingerprint(folder: str) -> dict[str, str]:
    """File name → sha256 of its contents, for every file in the configuration folder."""
    found: dict[str, str] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {"": "missing"}
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                found[name] = hashlib.sha256(handle.read()).hexdigest()
    return found


def _stat(path: str) -> list[int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def preload_key(env: dict[str, str]) -> dict:
    """Everything that changes what a command does, as the server's key (a JSON object)."""
    data_root = os.path.realpath(env.get("STATION_DATA") or REPO_ROOT)
    return json.loads(json.dumps({      # as it arrives at the server: lists, not tuples
        "python": [sys.executable, sys.version, list(sys.flags), sorted(sys.warnoptions),
                   sorted((k, str(v)) for k, v in sys._xoptions.items())],
        "path": list(sys.path),
        # a package installed or removed changes its site-packages folder's modification time
        "installed": [[p, _stat(p)] for p in sys.path if p.endswith(("site-packages", "dist-packages"))],
        "code": code_fingerprint(),
        "config": config_fingerprint(config_folder(env)),
        "secret_key": _stat(os.path.join(data_root, "var", "secret_key")),     # read by the settings
        "env": key_env(env),
        "ids": [os.getuid(), os.getgid(), sorted(os.getgroups())],
    }))


def key_digest(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def socket_folder(env: dict[str, str]) -> str | None:
    """The user's own folder for the server's socket (mode 0700), or None when it is not safe to use."""
    runtime = env.get("XDG_RUNTIME_DIR", "")
    folder = env.get("STATION_PRELOAD_DIR") or (os.path.join(runtime, "station") if os.path.isabs(runtime)
                                                 else f"/tmp/station-{os.getuid()}")
    if not os.path.isabs(folder):
        return None
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    return folder if folder_private(os.lstat(folder), os.getuid()) else None


def folder_private(info: os.stat_result, uid: int) -> bool:
    """A real folder (not a link) owned by uid that nobody else may open."""
    return stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o077


def peer_uid(sock: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def peer_allowed(sock: socket.socket, uid: int) -> bool:
    """True when the process at the other end runs as uid."""
    try:
        return peer_uid(sock) == uid
    except OSError:
        return False


def _config_allows(folder: str) -> bool:
    """False when config/station.toml says `[cli] preload = false` (or cannot be read)."""
    try:
        with open(os.path.join(folder, "station.toml"), "rb") as handle:
            text = handle.read()
    except OSError:
        return False
    if b"preload" not in text:
        return True
    import tomllib
    try:
        return tomllib.loads(text.decode("utf-8")).get("cli", {}).get("preload", True) is not False
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        return False


def may_prompt(argv: list[str], command: str | None) -> bool:
    """True when the command may ask for a password on this terminal. getpass asks on the controlling
    terminal (/dev/tty); a process forked by the server has none, so it would ask on stderr instead (lost
    when stderr goes to a file) and read stdin: such commands run here, as before."""
    if not os.isatty(0):
        return False            # no terminal: the command refuses instead of asking (read_password_for)
    return command in PROMPTING or any(a == "--user" or a.startswith("--user=") for a in argv)


def plan_for(argv: list[str], env: dict[str, str]) -> Plan | None:
    """Where this command's server is, or None when it runs in-process without a server."""
    if env.get("STATION_PRELOAD", "").strip().lower() in OFF:
        return None
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in IN_PROCESS or not _config_allows(config_folder(env)):
        return None
    folder = socket_folder(env)
    if folder is None:
        return None
    key = preload_key(env)
    return Plan(folder, key, key_digest(key), through=not may_prompt(argv, command))


def _limits() -> dict[str, list[int]]:
    import resource
    return {name: list(resource.getrlimit(getattr(resource, name))) for name in LIMITS if hasattr(resource, name)}


def request_send(sock: socket.socket, plan: Plan) -> None:
    """Send the command (argv, folder, environment, umask, limits) and this process's stdin/stdout/stderr."""
    umask = os.umask(0o077)
    os.umask(umask)
    body = json.dumps({"key": plan.key, "argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ),
                       "umask": umask, "limits": _limits(), "nice": os.getpriority(os.PRIO_PROCESS, 0)}).encode()
    socket.send_fds(sock, [HEADER.pack(len(body))], [0, 1, 2])
    sock.sendall(body)


def _forward(group: int) -> None:
    """Pass the signals a terminal or a supervisor sends this process on to the command's process group."""
    def send(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signum)

    def stop(_signum: int, _frame: object) -> None:       # Ctrl-Z: stop the command, then this process
        send(signal.SIGTSTP, None)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)
        signal.signal(signal.SIGTSTP, stop)
        send(signal.SIGCONT, None)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, send)
    if signal.getsignal(signal.SIGTSTP) is not signal.SIG_IGN:
        signal.signal(signal.SIGTSTP, stop)


def through_server(plan: Plan) -> int:
    """Run the command in the server's fresh child; its exit code. NotStarted when it did not start."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            sock.connect(plan.socket_path)
            if not peer_allowed(sock, os.getuid()):
                raise NotStarted("server runs as another user")
            request_send(sock, plan)
            replies = sock.makefile("rb")
            started = json.loads(replies.readline() or b"{}")
        except (OSError, ValueError) as exc:
            raise NotStarted(str(exc)) from exc
        if not isinstance(started, dict) or not isinstance(started.get("started"), int):
            raise NotStarted(str(started))
        _forward(started["started"])
        try:
            ended = json.loads(replies.readline() or b"{}")
        except (OSError, ValueError):
            ended = {}
    finally:
        sock.close()
    if isinstance(ended.get("signal"), int):          # killed by a signal: end the same way
        sys.stdout.flush()
        signal.signal(ended["signal"], signal.SIG_DFL)
        os.kill(os.getpid(), ended["signal"])
        return 128 + ended["signal"]
    if isinstance(ended.get("exit"), int):
        return ended["exit"]
    os.write(2, "错误：命令的执行进程意外中断（预加载服务）。请重新运行；如仍出现，请设置环境变量 "
                "STATION_PRELOAD=0 后运行，并联系系统维护人员。\n".encode())
    return 1


def server_start(plan: Plan, env: dict[str, str]) -> None:
    """Start a server for this key (env: the caller's environment) in the background, detached from this
    terminal and session."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(plan.socket_path)
        return                  # one is already there (this command was one to run here)
    except OSError:
        pass
    finally:
        probe.close()
    import subprocess
    env = {k: v for k, v in env.items() if not env_secret(k)}
    boot = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
            "from pipeline.cli.preload_server import serve; serve(sys.argv[2], sys.argv[3])")
    log_path = os.path.join(plan.folder, plan.digest[:32] + ".log")
    with open(log_path, "ab") as log:
        subprocess.Popen([sys.executable, *subprocess._args_from_interpreter_flags(), "-c", boot,
                          json.dumps(sys.path), plan.folder, plan.digest],
                         env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True, close_fds=True)


def run() -> None:
    """Console-script entry point: through the preloading server when possible, else in-process."""
    argv, env = sys.argv[1:], dict(os.environ)
    try:
        plan = plan_for(argv, env)
    except Exception:   # noqa: BLE001 — anything odd here: run the command as before
        plan = None
    if plan is not None and plan.through:
        with contextlib.suppress(NotStarted):
            sys.exit(through_server(plan))
    from pipeline.cli.main import main
    code = main(argv)
    if plan is not None:
        with contextlib.suppress(Exception):    # a server is only an optimisation: the command's result stands
            plan = plan_for(argv, env)      # as the command left the files (init makes var/secret_key)
            if plan is not None:
                server_start(plan, env)
    sys.exit(code)
