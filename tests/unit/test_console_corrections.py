"""Corrections: from a reviewer's form to NLU training data that Rasa reads."""

from __future__ import annotations

import re
import warnings

import pytest
from sqlalchemy import select

from bot import cli
from bot.console import corrections
from bot.store import AuditEvent, Correction, Store
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    at,
    rasa_store,
    save,
    start,
    tracker_path,
    user,
)
from tests.unit.test_console_http import console, csrf_token, log_in  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

PHONE_TEXT = "pothole on Tverskaya 12, call +7 916 123-45-67"
ENTITIES = [{"entity": "address", "value": "Tverskaya 12", "start": 11, "end": 23}]


def read_nlu(text: str) -> dict[str, list[str]]:
    """What Rasa itself reads from exported YAML: intent -> example texts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = RasaYAMLReader().reads(text)
    found: dict[str, list[str]] = {}
    for message in data.intent_examples:
        found.setdefault(message.get("intent"), []).append(message.get("text"))
    return found


def test_known_intents_come_from_the_training_data() -> None:
    intents = corrections.known_intents()
    assert {"report_problem", "find_office", "greet", "out_of_scope"} <= set(intents)
    assert any(name.startswith("faq/") for name in intents)


def test_annotate_and_plain() -> None:
    example = corrections.annotate("pothole on Tverskaya 12", ENTITIES)
    assert example == "pothole on [Tverskaya 12](address)"
    assert corrections.plain(example) == "pothole on Tverskaya 12"
    overlapping = [*ENTITIES, {"entity": "street", "start": 11, "end": 20}]
    assert corrections.annotate("pothole on Tverskaya 12", overlapping) == example


@pytest.mark.parametrize(
    ("intent", "example", "problem"),
    [
        ("no_such_intent", "hello", "not an intent"),
        ("greet", "hello there", "message itself"),
        ("greet", "", "empty"),
        ("greet", "- hello", "cannot start"),
        ("greet", "[hello](bad entity)", "message itself"),
    ],
)
def test_bad_corrections_are_refused(intent: str, example: str, problem: str) -> None:
    with pytest.raises(corrections.CorrectionError, match=problem):
        corrections.check(intent, example, "hello")


async def test_export_is_rasa_training_data_and_marks_them(store: Store) -> None:
    await corrections.save(store, sender_id="a", event_id=1, text="pothole on Tverskaya 12",
                           predicted="out_of_scope", intent="report_problem",
                           example="pothole on [Tverskaya 12](address)", by="rita")
    await corrections.save(store, sender_id="b", event_id=7, text="where do I get a passport",
                           predicted="greet", intent="find_office",
                           example="where do I get a passport", by="rita")
    assert await corrections.pending_count(store) == 2
    text, count = await corrections.export(store, "en")
    assert count == 2
    assert read_nlu(text) == {
        "find_office": ["where do I get a passport"],
        "report_problem": ["pothole on Tverskaya 12"],
    }
    assert "[Tverskaya 12](address)" in text
    assert await corrections.pending_count(store) == 0
    assert (await corrections.export(store, "en"))[1] == 0  # nothing twice


async def test_correcting_in_the_console_and_exporting(
    console, rasa_store, store  # noqa: F811
) -> None:
    await save(rasa_store, "kira", [*start(at(0)), user(PHONE_TEXT, "out_of_scope", 0.4, at(1),
                                                        entities=ENTITIES)])
    assert (await log_in(console, "rita")).status == 302
    page = await (await console.get("/conversations/kira")).text()
    event_id = int(re.search(r'name="event_id" value="(\d+)"', page).group(1))
    # The form offers the masked message with its entities marked.
    assert 'value="pothole on [Tverskaya 12](address), call ••••67"' in page
    token = await csrf_token(console, "/conversations/kira")
    form = {"event_id": str(event_id), "intent": "report_problem",
            "example": "pothole on [Tverskaya 12](address), call ••••67"}
    refused = await console.post("/conversations/kira/correct", data=form, allow_redirects=False)
    assert refused.status == 403  # no CSRF token
    wrong = await console.post("/conversations/kira/correct",
                               data={**form, "example": "something else", "csrf_token": token},
                               allow_redirects=False)
    assert wrong.status == 400 and "message itself" in await wrong.text()
    done = await console.post("/conversations/kira/correct", data={**form, "csrf_token": token},
                              allow_redirects=False)
    assert done.status == 303
    page = await (await console.get("/conversations/kira")).text()
    assert "Corrected to <code>report_problem</code> by rita" in page
    listing = await (await console.get("/conversations")).text()
    assert "<strong>1</strong> correction awaiting export" in listing
    exported = await console.post("/corrections/export",
                                  data={"csrf_token": token, "language": "en"})
    assert exported.status == 200
    assert 'attachment; filename="corrections-en.yml"' == exported.headers["Content-Disposition"]
    assert read_nlu(await exported.text()) == {
        "report_problem": ["pothole on Tverskaya 12, call ••••67"],  # no phone number leaves
    }
    async with store.session() as session:
        actions = [e.action for e in (await session.execute(select(AuditEvent))).scalars()]
        assert (await session.execute(select(Correction))).scalar_one().exported_at is not None
    assert "corrected" in actions and "exported" in actions


async def test_an_operator_cannot_correct(console, rasa_store) -> None:  # noqa: F811
    await save(rasa_store, "lev", [*start(at(0)), user("hi", "greet", 0.9, at(1))])
    assert (await log_in(console, "otto")).status == 302
    token = await csrf_token(console, "/conversations/lev")
    resp = await console.post("/conversations/lev/correct", allow_redirects=False,
                              data={"event_id": "1", "intent": "greet", "example": "hi",
                                    "csrf_token": token})
    assert resp.status == 403


def test_export_corrections_command(tmp_path, monkeypatch, capsys) -> None:
    import asyncio

    monkeypatch.setenv("CITYBOT_VAR_DIR", str(tmp_path))

    async def seed() -> None:
        store = await Store(f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}").ready()
        await corrections.save(store, sender_id="a", event_id=1, text="hello",
                               predicted="faq", intent="greet", example="hello", by="rita")
        await store.close()

    asyncio.run(seed())
    out = tmp_path / "corrections.yml"
    assert cli.main(["export-corrections", "--language", "en", "--dry-run", "--out", str(out)]) == 0
    assert read_nlu(out.read_text()) == {"greet": ["hello"]}
    assert cli.main(["export-corrections", "--language", "en", "--out", str(out)]) == 0
    assert read_nlu(out.read_text()) == {"greet": ["hello"]}
    assert cli.main(["export-corrections", "--language", "en"]) == 0  # all exported: empty
    assert read_nlu(capsys.readouterr().out) == {}
