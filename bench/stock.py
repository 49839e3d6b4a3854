"""The baseline: stock Rasa's own starter assistant (`rasa init`), built from the installed Rasa.

The project is Rasa's scaffold (``rasa/cli/initial_project``) copied as it is; its model is trained
once per Rasa version into the bench cache (``~/.cache/citybot/bench``) with how long the training
took, and trained again, timed, whenever the bench is asked to measure training. It is served as
``rasa run --enable-api`` serves it: in-memory tracker and lock stores, no action server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bot.supervisor import Proc

CACHE = Path(os.environ.get("CITYBOT_BENCH_CACHE", Path.home() / ".cache" / "citybot" / "bench"))


@dataclass
class Trained:
    model: Path
    seconds: float  # wall time of `rasa train`
    when: str  # when it was measured (ISO date and time, UTC)


def scaffold() -> Path:
    import rasa.cli

    return Path(rasa.cli.__file__).parent / "initial_project"


def train(project: Path, out: Path, *, cache_dir: Path, name: str = "stock") -> float:
    """`rasa train` of a project into ``out/<name>.tar.gz``, with its own (empty) training
    cache; the wall time in seconds."""
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--out", str(out), "--fixed-model-name", name],
        cwd=project, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        env={**os.environ, "RASA_CACHE_DIRECTORY": str(cache_dir), "RASA_TELEMETRY_ENABLED": "false"},
    )
    return time.monotonic() - began


def project(*, retrain: bool = False) -> Trained:
    """The starter project and its model, trained now if the cache has none (or ``retrain``)."""
    home = CACHE / f"stock-rasa-{version('rasa')}"
    meta = home / "trained.json"
    model = home / "models" / "stock.tar.gz"
    if not retrain and meta.is_file() and model.is_file():
        return Trained(model, **json.loads(meta.read_text()))
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(scaffold(), home, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    with tempfile.TemporaryDirectory(prefix="stock-cache-") as cache_dir:
        seconds = train(home, home / "models", cache_dir=Path(cache_dir))
    trained = {"seconds": round(seconds, 1), "when": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    meta.write_text(json.dumps(trained))
    return Trained(model, **trained)


def server(trained: Trained, port: int) -> Proc:
    """Stock `rasa run` of the starter model (ready when its /status answers)."""
    return Proc(
        "stock",
        [sys.executable, "-m", "rasa", "run", "--model", str(trained.model), "--enable-api",
         "--interface", "127.0.0.1", "--port", str(port),
         # the project's own (all defaults), not the ones in citybot's working directory
         "--endpoints", str(trained.model.parent.parent / "endpoints.yml"),
         "--credentials", str(trained.model.parent.parent / "credentials.yml")],
        f"http://127.0.0.1:{port}/status",
        env={"RASA_TELEMETRY_ENABLED": "false"},
    )
