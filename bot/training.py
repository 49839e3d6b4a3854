"""Train the assistant only when its inputs changed (the fingerprint of config, domain, data)."""

from __future__ import annotations

import hashlib
from importlib.metadata import version
import logging
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT

log = logging.getLogger(__name__)

# The assistant's own pipeline components (bot/nlu) are training inputs too: their code decides
# what a trained model holds.
# Training data: NLU examples (data/nlu, both languages), stories and rules.
DATA = ("data/nlu", "data/stories", "data/rules")
INPUTS = ("config.yml", "domain.yml", *DATA, "bot/nlu")


def fingerprint(root: Path = ROOT, inputs: tuple[str, ...] = INPUTS) -> str:
    """A hash of every training input file (path and content) plus the Rasa version."""
    digest = hashlib.sha256(f"rasa {version('rasa')}\n".encode())
    for name in inputs:
        path = root / name
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def train_if_needed(
    model: Path,
    *,
    root: Path = ROOT,
    config: str = "config.yml",
    force: bool = False,
) -> bool:
    """Train into ``model`` unless it was trained from the same inputs; True if it trained."""
    stamp = model.with_suffix("").with_suffix(".sha256")
    current = fingerprint(root, (config, *INPUTS[1:]))
    if not force and model.exists() and stamp.exists() and stamp.read_text().strip() == current:
        log.info("model %s is up to date with config, domain and data: not training", model)
        return False
    log.info("training %s (inputs changed or no model yet)...", model)
    model.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(root / config),
        "--domain", str(root / "domain.yml"),
        "--data", *(str(root / path) for path in DATA),
        "--out", str(model.parent),
        "--fixed-model-name", model.name.removesuffix(".tar.gz"),
    ]
    subprocess.run(cmd, cwd=root, check=True)
    stamp.write_text(current + "\n")
    return True
