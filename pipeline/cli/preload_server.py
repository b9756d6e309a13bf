"""The preloading command server behind `station` (its client: pipeline/cli/preload.py).

Started by a client in the background, for one key (code, configuration, environment: preload.preload_key):
sets Django up, loads the configuration and imports the modules of the everyday commands, holds no
database connection, and listens on a Unix socket in the user's private folder. For each request from
the same user it forks a handler, which checks the key, takes the caller's folder, environment, umask
and limits, and forks the command's process: that one puts the caller's stdin/stdout/stderr on 0/1/2,
sets its terminal-dependent state up afresh and runs the CLI's main() as `python -m pipeline` would;
the handler reports its exit code (or the signal that ended it) to the client. The server exits when
idle (STATION_PRELOAD_IDLE seconds, default 15 minutes) or when its code or configuration changed.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import json
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from typing import Any

from pipeline.cli import preload

log = logging.getLogger("pipeline.cli.preload")
# the modules `status`, `search` and `show` import (and what every command imports)
PRELOAD = ("pipeline.cli.main", "pipeline.cli.common", "pipeline.cli.ingest", "pipeline.cli.search",
           "pipeline.cli.items", "pipeline.catalog.items", "pipeline.search", "pipeline.search.access",
           "pipeline.search.backends.tantivy_backend", "pipeline.search.lexicon")
CHECK_SECONDS = 2.0
IDLE_SECONDS = 900.0


def serve(folder: str, digest: str) -> None:
    """Run the server for digest in folder; in a command's forked process, run that command instead."""
    request = _serve(folder, digest)
    if request is not None:
        _command_run(request)


def _serve(folder: str, digest: str) -> dict | None:
    """The server's life; returns only in a command's process (its request), or None when it ends."""
    env = dict(os.environ)
    key = preload.preload_key(env)
    if preload.key_digest(key) != digest:
        return None                 # changed since the client looked: the next command starts a fresh one
    base = os.path.join(folder, digest[:32])
    lock = os.open(base + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return None                 # another server for this key is starting or running
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())    # who holds it (tests, and a person looking)
    _tidy(folder, digest)
    try:
        idle = float(os.environ.get("STATION_PRELOAD_IDLE") or IDLE_SECONDS)
    except ValueError:
        idle = IDLE_SECONDS
    if not _preload() or _key_changed(key, env):
        return None
    # what loading did to the environment (DJANGO_SETTINGS_MODULE): done again on each caller's environment
    changes = ({k: v for k, v in os.environ.items() if env.get(k) != v}, sorted(set(env) - set(os.environ)))
    path = base + ".sock"
    listener = _listen(path)
    inode, me = os.stat(path).st_ino, os.getpid()
    last_request = last_check = time.monotonic()
    log.info("preload server %s ready, pid %d, %d modules", digest[:12], me, len(sys.modules))
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: _reap())    # no finished handler waits as a zombie
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))  # `kill`: remove the socket first
    try:
        while True:
            _reap()
            now = time.monotonic()
            if now - last_check >= CHECK_SECONDS:
                last_check = now
                reason = _stale(path, inode, key, env, now - last_request, idle)
                if reason:
                    log.info("preload server %s exits: %s", digest[:12], reason)
                    return None
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            last_request = time.monotonic()
            if not preload.peer_allowed(conn, os.getuid()):
                log.warning("preload server: refused a connection from another user (uid %s)", _uid_of(conn))
                conn.close()
                continue
            from django.db import connections
            connections.close_all()         # a forked command must open its own
            pid = os.fork()
            if pid == 0:
                try:
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)     # the handler waits for its command itself
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    listener.close()
                    os.close(lock)
                    request = _handle(conn, key, changes)     # returns only in the command's process
                except BaseException:   # noqa: BLE001 — a handler must never run on as a second server
                    os._exit(70)
                return request
            conn.close()
    finally:
        if os.getpid() == me:
            _unlink_if_ours(path, inode)
            listener.close()


def _tidy(folder: str, digest: str) -> None:
    """Remove the files of servers for other keys (old code, old configuration): no server holds their
    lock and none started for a day."""
    cutoff = time.time() - 86400
    for name in os.listdir(folder):
        if not name.endswith(".lock") or name.startswith(digest[:32]):
            continue
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if os.fstat(fd).st_mtime < cutoff:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                for suffix in (".sock", ".log", ".lock"):
                    with contextlib.suppress(OSError):
                        os.unlink(path[:-len(".lock")] + suffix)
        except OSError:
            pass
        finally:
            os.close(fd)


def _preload() -> bool:
    """Set Django up, import the everyday commands' modules and load the configuration."""
    try:
        importlib.import_module("pipeline.cli.main")
    except Exception:   # noqa: BLE001 — the client runs the command in-process and shows the error
        return False
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:   # noqa: BLE001 — the command imports it again and reports what is wrong
            log.warning("preload server: could not import %s", name, exc_info=True)
    from pipeline.core.config import get_config
    with contextlib.suppress(Exception):    # an invalid configuration: each command reports it as before
        get_config()
    from django.db import connections
    connections.close_all()
    gc.collect()
    gc.freeze()     # the loaded objects are never collected in a command's process: their pages stay shared
    if threading.active_count() != 1:     # fork copies only this thread
        log.warning("preload server: %d threads after preloading", threading.active_count())
        return False
    return True


def _key_changed(key: dict, env: dict[str, str]) -> bool:
    fresh = preload.preload_key(env)
    fresh["path"] = key["path"]     # an import may add to sys.path: the client's path is what counts
    return fresh != key


def _stale(path: str, inode: int, key: dict, env: dict[str, str], idle_for: float, idle: float) -> str:
    """Why the server should stop now, or ""."""
    if idle_for >= idle:
        return f"idle for {idle_for:.0f} s"
    try:
        if os.stat(path).st_ino != inode:
            return "socket replaced"
    except OSError:
        return "socket removed"
    if _key_changed(key, env):
        return "code, configuration or installed packages changed"
    return ""


def _listen(path: str) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)     # a dead server's socket: we hold the lock for this key
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old)
    listener.listen(32)
    listener.settimeout(CHECK_SECONDS)
    return listener


def _unlink_if_ours(path: str, inode: int) -> None:
    with contextlib.suppress(OSError):
        if os.stat(path).st_ino == inode:
            os.unlink(path)


def _uid_of(conn: socket.socket) -> int | str:
    try:
        return preload.peer_uid(conn)
    except OSError:
        return "?"


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _reply(conn: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(message).encode() + b"\n")


def _recv_exact(conn: socket.socket, size: int, start: bytes = b"") -> bytes:
    data = bytearray(start)
    while len(data) < size:
        more = conn.recv(min(size - len(data), 1 << 20))
        if not more:
            raise ConnectionError("request cut short")
        data += more
    return bytes(data)


def _handle(conn: socket.socket, key: dict, changes: tuple[dict[str, str], list[str]]) -> dict:
    """In the handler process: take the request, start the command, report how it ended, exit.
    Returns only in the command's own process (the request, with the caller's descriptors)."""
    fds: list[int] = []
    try:
        conn.setblocking(True)
        conn.settimeout(30)
        head, fds, _flags, _addr = socket.recv_fds(conn, preload.HEADER.size, 3)
        (size,) = preload.HEADER.unpack(_recv_exact(conn, preload.HEADER.size, head))
        request = json.loads(_recv_exact(conn, size))
        if len(fds) != 3:
            raise ValueError(f"{len(fds)} descriptors instead of stdin, stdout, stderr")
        if request.get("key") != key:
            raise ValueError("key differs")
        _caller_take(request, *changes)
        conn.settimeout(None)
        go_read, go_write = os.pipe()
        pid = os.fork()
    except Exception as exc:    # noqa: BLE001 — not started: the client runs the command itself
        _reply(conn, {"refused": f"{type(exc).__name__}: {exc}"[:300]})
        os._exit(0)
    if pid == 0:
        conn.close()
        os.close(go_write)
        os.setpgid(0, 0)        # the client sends Ctrl-C etc. to the command's whole process group
        if os.read(go_read, 1) != b"1":
            os._exit(0)         # the client was not told it started: it runs the command itself
        os.close(go_read)
        request["fds"] = fds
        return request
    os.close(go_read)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(json.dumps({"started": pid}).encode() + b"\n")
        os.write(go_write, b"1")
    except OSError:
        os._exit(0)             # closing go_write (by exiting) stops the command before it began
    os.close(go_write)
    status = _wait(conn, pid)
    _reply(conn, {"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else {"exit": os.WEXITSTATUS(status)})
    os._exit(0)


def _caller_take(request: dict, env_set: dict[str, str], env_unset: list[str]) -> None:
    """The caller's working folder, environment (as loading the modules changes it), umask, resource
    limits and priority."""
    import resource
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.update(env_set)
    for name in env_unset:
        os.environ.pop(name, None)
    time.tzset()
    os.umask(int(request["umask"]))
    for name, (soft, hard) in request["limits"].items():
        which = getattr(resource, name)
        if list(resource.getrlimit(which)) != [soft, hard]:
            resource.setrlimit(which, (soft, hard))
    if os.getpriority(os.PRIO_PROCESS, 0) != request["nice"]:
        os.setpriority(os.PRIO_PROCESS, 0, int(request["nice"]))


def _wait(conn: socket.socket, pid: int) -> int:
    """Wait for the command; if the client goes away (killed), kill the command's process group too."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:             # a kernel before 5.3: look every 50 ms
        pidfd = -1
    poller = select.poll()
    if pidfd >= 0:
        poller.register(pidfd, select.POLLIN)
    poller.register(conn, select.POLLIN)
    while True:
        if pidfd < 0:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
        for fd, _event in poller.poll(None if pidfd >= 0 else 50):
            if fd == pidfd:
                return os.waitpid(pid, 0)[1]
            try:
                gone = not conn.recv(64)
            except OSError:
                gone = True
            if gone:
                poller.unregister(conn)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)     # as the command would have died with its process


def _command_run(request: dict[str, Any]) -> None:
    """In the command's process: the caller's stdin/stdout/stderr, argv and terminal, then the CLI."""
    fds = request["fds"]
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    sys.argv = list(request["argv"])
    sys.stdout.reconfigure(line_buffering=sys.stdout.isatty())   # as Python sets it at start-up
    _fresh_state()
    from pipeline.cli.main import main
    _exit(main(sys.argv[1:]))


def _exit(code: int) -> None:
    """End as the interpreter would (other threads joined, atexit handlers run, output flushed) but
    without tearing every module of the preloaded process down: each object touched then is a page
    copied from the server (≈ 0.4 s for a status that took 0.15 s)."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()     # noqa: SLF001 — what the interpreter runs at exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception as exc:    # noqa: BLE001 — as the interpreter reports it: a broken pipe exits 120
            with contextlib.suppress(Exception):
                os.write(2, f"Exception ignored in: {stream!r}\n{type(exc).__name__}: {exc}\n".encode())
            code = 120
    os._exit(code & 0xFF)


def _fresh_state() -> None:
    """What was set up for the server's own terminal-less process, set up again for this command's."""
    for handler in _file_handlers():     # reopened on the next line written (the file may have moved)
        stream, handler.stream = handler.stream, None
        if stream is not None:
            stream.close()
    import rich

    rich._console = None      # noqa: SLF001 — rich.print's console: made again for this terminal
    from pipeline.cli.common import consoles_reset
    consoles_reset()


def _file_handlers() -> list[logging.FileHandler]:
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    return [h for lg in loggers for h in lg.handlers if isinstance(h, logging.FileHandler)]
