"""The out-of-domain gate's neighbourhood, chosen on the training data alone (leave-one-out).

Each training example the gate keeps (``bot.nlu.ood_gate``: USE sentence vectors, marked out of
scope or not) is classified by its nearest *other* examples, for several neighbourhoods: how many
in-scope examples the gate would turn away, how many out-of-scope ones it would catch. Copies of
the same sentence (cosine ≥ 0.9999) are not counted as neighbours. No held-out sentence is read,
so the choice it supports does not turn the held-out sets into training data.

Usage: .venv/bin/python -m bench.gate_loo [--model models/citybot.tar.gz]
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from bot.config import ROOT

# (neighbours, out-of-scope among them needed to turn a message away)
VARIANTS = ((1, 1), (3, 2), (5, 3), (5, 2), (7, 4), (7, 3))
SAME_SENTENCE = 0.9999


def gate_arrays(model: Path) -> tuple[np.ndarray, np.ndarray]:
    """The gate's stored sentence vectors and out-of-scope marks from a trained model."""
    with tarfile.open(model) as tar, tempfile.TemporaryDirectory() as tmp:
        members = [m for m in tar.getmembers()
                   if "OutOfDomainGate" in m.name and m.name.endswith(".npy")]
        tar.extractall(tmp, members=members)
        found = {p.name: np.load(p) for p in Path(tmp).rglob("*.npy")}
    return found["vectors.npy"], found["outside.npy"].astype(bool)


def leave_one_out(vectors: np.ndarray, outside: np.ndarray) -> list[str]:
    similarity = vectors @ vectors.T
    similarity[similarity >= SAME_SENTENCE] = -2.0  # itself and its copies
    nearest = np.argsort(-similarity, axis=1)[:, :max(k for k, _ in VARIANTS)]
    lines = []
    for k, need in VARIANTS:
        turned = outside[nearest[:, :k]].sum(axis=1) >= need
        lines.append(f"{k} neighbours, {need} out of scope: in-scope turned away "
                     f"{100 * turned[~outside].mean():.2f} % ({turned[~outside].sum()}/"
                     f"{(~outside).sum()}), out-of-scope caught {100 * turned[outside].mean():.1f} %")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "citybot.tar.gz")
    vectors, outside = gate_arrays(parser.parse_args().model)
    print(f"{len(outside)} examples, {int(outside.sum())} out of scope")
    print("\n".join(leave_one_out(vectors, outside)))


if __name__ == "__main__":
    main()
