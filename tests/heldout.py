"""The held-out sentence sets (tests/nlu) beside the training data they must stay apart from."""

from __future__ import annotations

import re

import yaml

from bot.config import ROOT


def plain(text: str) -> str:
    """A sentence without annotations, case and punctuation, to compare sets by."""
    text = re.sub(r"\[([^\]]*)\][({][^)}]*[)}]", r"\1", text)
    return re.sub(r"\W+", " ", text.lower()).strip()


def trained_sentences() -> set[str]:
    """Every intent example of data/nlu and every sentence of the out-of-domain gate's own
    file, plain."""
    gate = yaml.safe_load((ROOT / "bot" / "nlu" / "out_of_domain.yml").read_text(encoding="utf-8"))
    found = {plain(t) for t in texts(gate)}
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block:
                found |= {plain(line.strip()[2:]) for line in block["examples"].splitlines()
                          if line.strip().startswith("- ")}
    return found


def texts(node: object) -> list[str]:
    if isinstance(node, dict):
        return [t for key, value in node.items() if key != "trap" for t in texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in texts(value)]
    return [node] if isinstance(node, str) else []
