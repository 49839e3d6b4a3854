"""The action server's domain is the one Rasa serving the trained model would send."""

from __future__ import annotations

from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot.actionserver import model_domain
from bot.config import load_settings
from bot.supervisor import write_endpoints
from tests.stack import MODEL


def test_the_kept_domain_is_the_trained_models() -> None:
    assert model_domain(MODEL) == LocalModelStorage.metadata_from_archive(MODEL).domain.as_dict()


def test_rasa_is_told_not_to_send_the_domain(tmp_path) -> None:  # noqa: ANN001
    from dataclasses import replace

    import yaml

    endpoints = yaml.safe_load(write_endpoints(replace(load_settings(), var_dir=tmp_path)).read_text())

    assert endpoints["action_endpoint"]["enable_selective_domain"] is True
