"""The conversation suite (tests/conversations/suite) over REST against the real stack.

Every conversation is held and checked; the test fails when the share that ends fully right drops
below the floor measured for it (tests/conversations/floors.yml; one per language: the Russian
conversations are those of russian.yml) or any reply states a wrong fact. The report (rate, and
each failing conversation with its transcript, per language) is written to
var/results/conversation-suite.md.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import yaml

from bot.config import ROOT
from tests.conversations import suite
from tests.integration.conftest import Stack

FLOORS = yaml.safe_load((ROOT / "tests" / "conversations" / "floors.yml").read_text())
RESULTS = ROOT / "var" / "results"


def test_conversation_suite_meets_its_floor(healthy_city: Stack) -> None:
    conversations = suite.load()
    assert len(conversations) >= 60
    assert sum(c["file"] == "russian.yml" for c in conversations) >= 30
    city = suite.City(healthy_city.sandbox)
    run_id = uuid.uuid4().hex[:6]

    def hold(conv: dict) -> suite.Result:
        sender = f"suite-{run_id}-{conv['id']}"
        return suite.run(conv, sender, healthy_city.say, healthy_city.tracker, city)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(hold, conversations))
    russian = {c["id"] for c in conversations if c.get("language") == "ru"}
    english_results = [r for r in results if r.id not in russian]
    russian_results = [r for r in results if r.id in russian]
    RESULTS.mkdir(parents=True, exist_ok=True)
    reports = [suite.report(english_results), suite.report(russian_results)]
    (RESULTS / "conversation-suite.md").write_text(
        "English\n\n" + reports[0] + "\n\nRussian\n\n" + reports[1], encoding="utf-8")
    (RESULTS / "conversation-suite.json").write_text(json.dumps(
        [{"id": r.id, "passed": r.passed, "failures": r.failures, "wrong_facts": r.wrong_facts}
         for r in results], indent=1), encoding="utf-8")
    print("English:", reports[0].splitlines()[0])
    print("Russian:", reports[1].splitlines()[0])
    wrong = [f"{r.id}: {w}" for r in results for w in r.wrong_facts]
    assert len(wrong) <= FLOORS["suite_wrong_facts"], "\n".join(wrong)
    for floor, held in (("suite_success_rate", english_results),
                        ("ru_suite_success_rate", russian_results)):
        rate = sum(r.passed for r in held) / len(held)
        assert rate >= FLOORS[floor], f"{floor}: {rate:.3f}\n" + "\n".join(reports)
