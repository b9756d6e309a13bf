"""`station serve` runs the site under gunicorn (not runserver): sign-in page, static files from WhiteNoise,
every other page behind sign-in; refused before `station init`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from pipeline.cli.serve import server_command
from pipeline.core.errors import ExitCode

REPO = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serve_is_gunicorn_with_the_chosen_address_and_workers():
    command = server_command(host="0.0.0.0", port=8123, workers=3, threads=4)
    assert command[1:4] == ["-m", "gunicorn", "pipeline.web.wsgi:application"]
    assert "0.0.0.0:8123" in command and command[command.index("--workers") + 1] == "3"


def test_serve_refuses_an_uninitialised_data_root(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STATION_DATA", str(tmp_path / "empty"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env = {**os.environ, "STATION_DATA": str(tmp_path / "empty")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "pipeline", "serve", "--port", str(_free_port())], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == ExitCode.CONFIG and "station init" in done.stderr


def test_station_serve_answers_sign_in_serves_static_files_and_guards_the_rest(tmp_path):
    env = {**os.environ, "STATION_DATA": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)          # its own SQLite catalog in its own data root
    subprocess.run([sys.executable, "-m", "pipeline", "init"], cwd=REPO, env=env, check=True, capture_output=True,
                   timeout=300)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--workers", "1"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = _get(base + "/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.5)
        assert status == 200 and "登录" in body.decode()
        assert "gunicorn" in Path(f"/proc/{server.pid}/cmdline").read_bytes().decode(errors="replace")
        status, headers, body = _get(base + "/static/web/vendor/bootstrap-5.3.8.min.css")
        assert status == 200 and b"Bootstrap" in body[:300] and "max-age" in headers.get("Cache-Control", "")
        status, headers, _ = _get(base + "/search/")
        assert status == 302 and headers["Location"].startswith("/login/")
        status, headers, _ = _get(base + "/login/")
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
