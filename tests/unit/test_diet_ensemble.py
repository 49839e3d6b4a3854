"""The DIET ensemble: members with consecutive seeds, kept inside its resource, readings averaged."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT

from bot.nlu.ensemble import DIETEnsemble
from tests.unit.nlu_pipeline import context, featurized

DATA = """
version: "3.1"
nlu:
- intent: report_problem
  examples: |
    - there is a pothole on [tverskaya](street)
    - the streetlight on [arbat](street) is broken
    - graffiti on the wall at [petrovka](street)
    - a tree fell on [pokrovka](street)
- intent: find_office
  examples: |
    - where is the nearest service centre
    - which office is open near [arbat](street)
    - nearest my documents centre
    - office hours near [tverskaya](street)
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """An ensemble of three trained on a small set, the pipeline before it, and its storage."""
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("storage")))
    data, featurize = featurized(storage, DATA)
    config = {**DIETEnsemble.get_default_config(), "epochs": 30, "random_seed": 5, "members": 3}
    ensemble = DIETEnsemble.create(config, storage, Resource("ensemble"), context("ensemble"))
    ensemble.train(data)
    return ensemble, featurize, storage, config


def test_members_have_consecutive_seeds_and_live_inside_the_ensembles_resource(trained):
    ensemble, _, storage, _ = trained

    assert [member.component_config["random_seed"] for member in ensemble._members] == [5, 6, 7]
    with storage.read_from(Resource("ensemble")) as directory:
        assert sorted(p.name for p in directory.iterdir()) == ["member0", "member1", "member2"]


def test_the_intent_confidences_are_the_members_average(trained):
    ensemble, featurize, _, _ = trained
    message = featurize("there is a broken streetlight on arbat")

    ensemble.process([message])

    readings = []
    for member in ensemble._members:
        alone = featurize("there is a broken streetlight on arbat")
        member.process([alone])
        readings.append({r["name"]: r["confidence"] for r in alone.get("intent_ranking")})
    expected = sum(r["report_problem"] for r in readings) / 3
    assert message.get(INTENT)["name"] == "report_problem"
    assert message.get(INTENT)["confidence"] == pytest.approx(expected)
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking] == ["report_problem", "find_office"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-4)


def test_an_entity_counts_when_most_members_find_it(trained):
    ensemble, featurize, _, _ = trained
    message = featurize("graffiti on the wall at petrovka")

    ensemble.process([message])

    found = []
    for member in ensemble._members:
        alone = featurize("graffiti on the wall at petrovka")
        found.append(member._predict_entities(member._predict(alone), alone))
    spans = [{(e["start"], e["entity"]) for e in member} for member in found]
    voted = {(e["start"], e["entity"]) for e in message.get(ENTITIES)}
    assert voted == {span for span in set().union(*spans) if sum(span in s for s in spans) >= 2}


def test_a_loaded_ensemble_reads_as_the_trained_one(trained):
    ensemble, featurize, storage, config = trained
    loaded = DIETEnsemble.load(config, storage, Resource("ensemble"), context("ensemble"))
    before, after = featurize("nearest office please"), featurize("nearest office please")

    ensemble.process([before])
    loaded.process([after])

    assert len(loaded._members) == 3
    assert after.get("intent_ranking") == pytest.approx(before.get("intent_ranking"))
