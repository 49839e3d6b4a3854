"""bot.config.kept_secret: made once, readable by its owner only, and the same for every process
that asks at once (the Rasa servers of ``citybot up --servers N`` share the web chat's secret)."""

from __future__ import annotations

import multiprocessing
import stat

from bot.config import kept_secret


def test_a_secret_is_made_once_and_kept(tmp_path) -> None:
    path = tmp_path / "var" / "webchat_secret"
    first = kept_secret(path)
    assert len(first) >= 32
    assert kept_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # nothing left beside it


def test_an_empty_secret_file_is_made_again(tmp_path) -> None:
    path = tmp_path / "webchat_secret"
    path.write_text("\n")
    assert len(kept_secret(path)) >= 32


ROUNDS = 40


def _ask(paths, start, out) -> None:  # noqa: ANN001
    for path in paths:
        start.wait()
        out.put((path.name, kept_secret(path)))


def test_processes_that_ask_at_once_get_one_secret(tmp_path) -> None:
    context = multiprocessing.get_context("fork")
    paths = [tmp_path / f"webchat_secret_{n}" for n in range(ROUNDS)]
    start, out = context.Barrier(8), context.Queue()
    processes = [context.Process(target=_ask, args=(paths, start, out)) for _ in range(8)]
    for process in processes:
        process.start()
    got: dict[str, set[str]] = {}
    for _ in range(ROUNDS * len(processes)):
        name, secret = out.get(timeout=60)
        got.setdefault(name, set()).add(secret)
    for process in processes:
        process.join(60)
    differing = {name: seen for name, seen in got.items() if len(seen) != 1 or "" in seen}
    assert not differing, differing
    assert all(path.read_text().strip() in got[path.name] for path in paths)
