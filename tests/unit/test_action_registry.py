"""What the action server serves is what the domain names: every custom action of domain.yml is
registered, and nothing else is (a shared base class such as the meter questions' must not be
registered under a name of its own)."""

from __future__ import annotations

import yaml
from rasa_sdk.executor import ActionExecutor

from bot.config import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_the_action_server_registers_exactly_the_domains_custom_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    registered = set(executor.actions)
    named = set(DOMAIN["actions"])  # all custom here, Rasa's session start included
    assert named - registered == set(), "named in the domain, not served"
    assert registered - named == set(), "served, not named in the domain"
