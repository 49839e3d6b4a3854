"""Train the assistant only when its inputs changed (the fingerprint of config, domain, data).

A trained model is also kept in a cache by its fingerprint (``Settings.model_cache``, by default
``~/.cache/citybot/models``, shared by every checkout of the machine's user): a fresh clone, a
branch switched back or CI on the same machine takes the model trained from the same inputs
instead of training for minutes. The fingerprint covers everything a training reads, the lock
file of the libraries that do it included. Beside the models, the cache holds Rasa's own training
cache (``components/``): when only some inputs changed (a rule, the gate's sentences), Rasa
restores the components whose inputs did not, so the NLU is not trained again for a change of
the stories.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from bot.config import ROOT

log = logging.getLogger(__name__)

# The assistant's own pipeline components (bot/nlu) are training inputs too: their code decides
# what a trained model holds; so do the pinned libraries that train (requirements.lock; the
# test tools are pinned apart, in requirements-dev.lock, and do not retrain).
# Training data: NLU examples (data/nlu, both languages), stories and rules.
DATA = ("data/nlu", "data/stories", "data/rules")
INPUTS = ("config.yml", "domain.yml", *DATA, "bot/nlu", "requirements.lock")
# How many models the cache keeps (the newest used; each is a few hundred MB).
CACHE_KEEP = 3
# Rasa's training cache, in MB (Rasa's default, 1000, holds the components of about one model:
# trying a data change and taking it back then trained everything twice, 2 x 20-35 min).
COMPONENT_CACHE_MB = 3000


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


def _run(cmd: list[str], root: Path, env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=root, check=True, env={**os.environ, **env})


def train_if_needed(
    model: Path,
    *,
    root: Path = ROOT,
    config: str = "config.yml",
    force: bool = False,
    cache: Path | None = None,
    run: Callable[[list[str], Path, dict[str, str]], None] = _run,
) -> bool:
    """Train into ``model`` unless it was trained from the same inputs (here, or in ``cache``);
    True if it trained. ``run`` runs the training command (in ``root``, with more environment
    variables)."""
    stamp = model.with_suffix("").with_suffix(".sha256")
    current = fingerprint(root, (config, *INPUTS[1:]))
    if not force and model.exists() and stamp.exists() and stamp.read_text().strip() == current:
        log.info("model %s is up to date with config, domain and data: not training", model)
        return False
    model.parent.mkdir(parents=True, exist_ok=True)
    cached = cache / f"{current}.tar.gz" if cache else None
    if not force and cached is not None and _taken_from_cache(cached, model):
        stamp.write_text(current + "\n")
        return False
    log.info("training %s (inputs changed or no model yet)...", model)
    cmd = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(root / config),
        "--domain", str(root / "domain.yml"),
        "--data", *(str(root / path) for path in DATA),
        "--out", str(model.parent),
        "--fixed-model-name", model.name.removesuffix(".tar.gz"),
    ]
    # Rasa's training cache validates every entry by its component's own fingerprint (config,
    # inputs, and for the assistant's components their code): sharing it is safe.
    run(cmd, root, {"RASA_CACHE_DIRECTORY": str(cache / "components"),
                    "RASA_MAX_CACHE_SIZE": str(COMPONENT_CACHE_MB)} if cache else {})
    stamp.write_text(current + "\n")
    if cached is not None:
        _keep(model, cached)
    return True


def _taken_from_cache(cached: Path, model: Path) -> bool:
    """Copy the model of the same inputs from the cache; False when there is none (or it cannot
    be read: then the model is trained)."""
    if not cached.is_file():
        return False
    try:
        _copy(cached, model)
    except OSError as exc:
        log.warning("model cache %s not read: %s", cached, exc)
        return False
    log.info("model %s: taking the one trained from the same inputs, %s", model, cached)
    with contextlib.suppress(OSError):
        os.utime(cached)  # recently used: the cache keeps it
    return True


def _copy(source: Path, target: Path) -> None:
    """Copy whole or not at all (a reader never sees half a model)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _keep(model: Path, cached: Path) -> None:
    """Put a trained model in the cache and drop the least recently used beyond CACHE_KEEP; a
    cache that cannot be written is only a missed saving."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        _copy(model, cached)
        kept = sorted(cached.parent.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime,
                      reverse=True)
        for old in kept[CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("model cache %s not written: %s", cached.parent, exc)
