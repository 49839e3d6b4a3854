"""The supervisor's files: the Rasa API token and endpoints.yml."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from bot.supervisor import Proc, StartFailed, Supervisor, rasa_token, write_endpoints


def settings_in(var_dir: Path, **overrides) -> Settings:
    return Settings(var_dir=var_dir, rasa_token="", **overrides)


def test_the_token_is_made_once_readable_only_by_its_owner(tmp_path):
    settings = settings_in(tmp_path / "var")
    token = rasa_token(settings)
    path = tmp_path / "var" / "rasa_api_token"
    assert len(token) >= 24
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert rasa_token(settings) == token
    assert rasa_token(settings_in(tmp_path / "var")) == token


def test_each_var_dir_gets_its_own_token(tmp_path):
    assert rasa_token(settings_in(tmp_path / "a")) != rasa_token(settings_in(tmp_path / "b"))


def test_a_token_from_the_environment_is_used_and_nothing_is_written(tmp_path):
    settings = Settings(var_dir=tmp_path / "var", rasa_token="from-env")
    assert rasa_token(settings) == "from-env"
    assert not (tmp_path / "var" / "rasa_api_token").exists()


def test_endpoints_point_rasa_at_the_given_action_port_and_tracker_under_var(tmp_path):
    settings = settings_in(tmp_path / "var", actions_port=5999)
    path = write_endpoints(settings)
    assert path == tmp_path / "var" / "run" / "endpoints.yml"
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5999/webhook"
    assert endpoints["tracker_store"]["type"] == "SQL"
    assert endpoints["tracker_store"]["db"] == str(tmp_path / "var" / "tracker.db")
    assert endpoints["lock_store"]["type"] == "in_memory"


def test_endpoints_are_rewritten_when_the_port_changes(tmp_path):
    write_endpoints(settings_in(tmp_path / "var", actions_port=5999))
    path = write_endpoints(settings_in(tmp_path / "var", actions_port=6001))
    assert "http://127.0.0.1:6001/webhook" in path.read_text()
    assert "5999" not in path.read_text()


# ---- starting and stopping processes

def _proc(name: str, code: str, port: int) -> Proc:
    return Proc(name, [sys.executable, "-c", code], f"http://127.0.0.1:{port}/")


async def test_a_process_that_dies_while_starting_is_named_with_its_last_words(unused_tcp_port):
    dying = _proc("sandbox", "print('port 8081 is taken'); raise SystemExit(3)", unused_tcp_port)
    sup = Supervisor([dying], echo=False)
    with pytest.raises(StartFailed) as failed:
        await sup.start_all(timeout=20)
    message = str(failed.value)
    assert message.startswith("sandbox exited with code 3")
    assert "port 8081 is taken" in message


async def test_a_process_that_never_gets_ready_times_out_and_is_stopped(unused_tcp_port):
    silent = _proc("actions", "import time; time.sleep(60)", unused_tcp_port)
    sup = Supervisor([silent], echo=False)
    with pytest.raises(StartFailed, match="actions did not become ready"):
        await sup.start_all(timeout=1.5)
    await sup.stop_all(grace=5)
    assert silent.process.returncode is not None


async def test_stop_all_ends_a_running_process_group(unused_tcp_port):
    server = _proc(
        "sandbox",
        f"import http.server as h; h.HTTPServer(('127.0.0.1', {unused_tcp_port}),"
        " h.SimpleHTTPRequestHandler).serve_forever()",
        unused_tcp_port,
    )
    sup = Supervisor([server], echo=False)
    await sup.start_all(timeout=20)
    assert server.process.returncode is None
    await sup.stop_all(grace=5)
    assert server.process.returncode is not None


def test_rasa_gets_its_token_from_the_environment_not_the_command_line(tmp_path):
    """Every user of the machine sees a command line (ps); the token starts with "-" in 1 of 64
    tokens and must still be read as the token."""
    import warnings

    from bot.rasa_server import TOKEN_ENV, rasa_argv
    from bot.supervisor import rasa_proc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rasa.__main__ import create_argument_parser

    token = "-Kx9_token_made_by_token_urlsafe"
    proc = rasa_proc(Settings(var_dir=tmp_path, rasa_token=token), model=tmp_path / "m.tar.gz")
    assert proc.argv[1:3] == ["-m", "bot.rasa_server"]
    assert not any(token in arg for arg in proc.argv)
    assert proc.env[TOKEN_ENV] == token
    args = create_argument_parser().parse_args(rasa_argv(proc.argv[3:], proc.env[TOKEN_ENV]))
    assert args.auth_token == token and args.enable_api
