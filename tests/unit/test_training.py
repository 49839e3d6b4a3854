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


def _checkout(root, data: str = "- hello\n"):  # noqa: ANN001, ANN202
    """A checkout with every training input of the fingerprint (tiny stand-ins)."""
    from bot.training import INPUTS

    for name in INPUTS:
        path = root / name
        if "." in path.name:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{name}\n")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "part.yml").write_text(data if name == "data/nlu" else f"{name}\n")
    return root


class Trainer:
    """Stands in for `rasa train` (slow, and tested by every stack of make test): writes a model
    named after the command's output options and counts its calls."""

    def __init__(self) -> None:
        self.trainings = 0
        self.env: dict[str, str] = {}

    def __call__(self, cmd: list[str], root, env: dict[str, str]) -> None:  # noqa: ANN001
        self.trainings += 1
        self.env = env
        out = cmd[cmd.index("--out") + 1]
        name = cmd[cmd.index("--fixed-model-name") + 1]
        (root / out / f"{name}.tar.gz").write_bytes(f"model {self.trainings} of {root}".encode())


def test_a_second_checkout_takes_the_model_trained_from_the_same_inputs(tmp_path):
    from bot.training import train_if_needed

    cache, trainer = tmp_path / "cache", Trainer()
    first = _checkout(tmp_path / "first")
    second = _checkout(tmp_path / "second")
    model = first / "models" / "citybot.tar.gz"
    again = second / "models" / "citybot.tar.gz"

    assert train_if_needed(model, root=first, cache=cache, run=trainer) is True
    assert train_if_needed(again, root=second, cache=cache, run=trainer) is False

    assert trainer.trainings == 1
    assert again.read_bytes() == model.read_bytes()
    assert again.with_suffix("").with_suffix(".sha256").read_text() == \
        model.with_suffix("").with_suffix(".sha256").read_text()
    assert train_if_needed(again, root=second, cache=cache, run=trainer) is False
    assert trainer.trainings == 1


def test_changed_inputs_train_again_and_the_cache_keeps_the_newest_few(tmp_path):
    from bot import training
    from bot.training import CACHE_KEEP, COMPONENT_CACHE_MB, train_if_needed

    cache, trainer = tmp_path / "cache", Trainer()
    root = _checkout(tmp_path / "repo")
    model = root / "models" / "citybot.tar.gz"
    (cache / "components").mkdir(parents=True)
    (cache / "components" / "cache.db").write_text("Rasa's")
    for n in range(CACHE_KEEP + 2):
        (root / "data" / "nlu" / "part.yml").write_text(f"- hello {n}\n")
        assert train_if_needed(model, root=root, cache=cache, run=trainer) is True
    assert trainer.trainings == CACHE_KEEP + 2
    # Rasa's own training cache lives beside the models (a changed input retrains only what it
    # feeds), and is neither counted among them nor dropped; it holds more than one model's parts
    assert trainer.env == {"RASA_CACHE_DIRECTORY": str(cache / "components"),
                           "RASA_MAX_CACHE_SIZE": str(COMPONENT_CACHE_MB)}
    assert COMPONENT_CACHE_MB >= 2000
    assert (cache / "components" / "cache.db").read_text() == "Rasa's"
    kept = sorted(p.name for p in cache.glob("*.tar.gz"))
    assert len(kept) == CACHE_KEEP
    assert f"{training.fingerprint(root)}.tar.gz" in kept
    assert not [p for p in (root / "models").iterdir() if p.name.endswith(".partial")]


def test_without_a_cache_every_checkout_trains(tmp_path):
    from bot.training import train_if_needed

    trainer = Trainer()
    for name in ("first", "second"):
        root = _checkout(tmp_path / name)
        assert train_if_needed(root / "models" / "citybot.tar.gz", root=root, run=trainer)
    assert trainer.trainings == 2
    assert trainer.env == {}  # nor is Rasa's training cache moved


def test_the_cache_is_off_when_asked_and_under_xdg_cache_home_otherwise(monkeypatch, tmp_path):
    from bot.config import load_settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("CITYBOT_MODEL_CACHE", raising=False)
    assert load_settings().model_cache == tmp_path / "citybot" / "models"
    monkeypatch.setenv("CITYBOT_MODEL_CACHE", "off")
    assert load_settings().model_cache is None


def test_a_broken_cache_entry_means_training_not_a_failure(tmp_path):
    from bot.training import fingerprint, train_if_needed

    cache, trainer = tmp_path / "cache", Trainer()
    root = _checkout(tmp_path / "repo")
    cache.mkdir()
    (cache / f"{fingerprint(root)}.tar.gz").mkdir()  # its name, but no model: nor can one be put
    model = root / "models" / "citybot.tar.gz"

    assert train_if_needed(model, root=root, cache=cache, run=trainer) is True
    assert trainer.trainings == 1 and model.read_bytes().startswith(b"model 1")
