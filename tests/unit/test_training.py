"""Training only when an input changed: what counts as an input."""

from __future__ import annotations


def test_the_training_fingerprint_follows_the_pipeline_code_but_not_its_bytecode(tmp_path):
    from bot.training import fingerprint

    (tmp_path / "bot" / "nlu" / "__pycache__").mkdir(parents=True)
    (tmp_path / "bot" / "nlu" / "gate.py").write_text("K = 3\n")
    inputs = ("bot/nlu",)
    before = fingerprint(tmp_path, inputs)
    (tmp_path / "bot" / "nlu" / "__pycache__" / "gate.cpython-310.pyc").write_bytes(b"\0")
    assert fingerprint(tmp_path, inputs) == before
    (tmp_path / "bot" / "nlu" / "gate.py").write_text("K = 5\n")
    assert fingerprint(tmp_path, inputs) != before
