"""The action server gives every action the served model's domain when Rasa sends none."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot import actionserver
from bot.actionserver import DomainKeepingExecutor, KeptDomain, make_app

KEPT = {"responses": {"utter_kept": [{"text": "from the model"}]}, "slots": {}}


async def echo(dispatcher, tracker, domain):  # noqa: ANN001, ANN201
    """Says which domain it was given (a function, not an ``Action`` subclass: rasa-sdk would
    register a subclass in every executor of the process, the action server's included)."""
    dispatcher.utter_message(text=str(sorted(domain.get("responses", {}))))
    return []


def executor_with_echo(domain) -> DomainKeepingExecutor:  # noqa: ANN001
    executor = DomainKeepingExecutor(domain)
    executor.register_function("action_echo_domain", echo)
    return executor


def call(**extra: Any) -> dict[str, Any]:
    return {"next_action": "action_echo_domain", "sender_id": "s", "version": "3.6.21",
            "tracker": {"sender_id": "s", "slots": {}, "events": [], "latest_message": {}},
            **extra}


async def kept() -> dict[str, Any]:
    return KEPT


async def test_an_action_called_without_the_domain_is_given_the_kept_one() -> None:
    executor = executor_with_echo(kept)

    answer = await executor.run(call())

    assert answer["responses"][0]["text"] == "['utter_kept']"


async def test_a_domain_rasa_sends_is_the_one_the_action_gets() -> None:
    executor = executor_with_echo(kept)

    answer = await executor.run(call(domain={"responses": {"utter_sent": []}}))

    assert answer["responses"][0]["text"] == "['utter_sent']"


async def test_the_model_archive_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[Path] = []
    monkeypatch.setattr(actionserver, "model_domain", lambda model: reads.append(model) or KEPT)
    domain = KeptDomain(Path("models/x.tar.gz"))

    first, second = await asyncio.gather(domain(), domain())

    assert first is second is KEPT
    assert await domain() is KEPT
    assert reads == [Path("models/x.tar.gz")]


async def test_an_unreadable_model_fails_the_actions_and_says_why(
    caplog: pytest.LogCaptureFixture, tmp_path: Path,
) -> None:
    domain = KeptDomain(tmp_path / "missing.tar.gz")
    executor = executor_with_echo(domain)

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever Rasa raises for a missing file
        await executor.run(call())
    await asyncio.sleep(0)  # the reading's done callback runs on the next loop turn

    assert "could not be read: every action will fail" in caplog.text


def test_the_app_uses_the_domain_keeping_executor_and_leaves_rasa_sdk_as_it_was() -> None:
    import rasa_sdk.endpoint
    from rasa_sdk.executor import ActionExecutor

    app = make_app(kept)

    webhook = next(route.handler for route in app.router.routes if route.path == "webhook")
    executors = [cell.cell_contents for cell in webhook.__closure__ or ()
                 if isinstance(cell.cell_contents, ActionExecutor)]
    assert [type(e) for e in executors] == [DomainKeepingExecutor]
    assert rasa_sdk.endpoint.ActionExecutor is ActionExecutor


def test_the_domain_is_read_from_the_model_archives_metadata(tmp_path: Path) -> None:
    """As Rasa 3.6 writes an archive: metadata.json at its root, the domain inside."""
    import io
    import json
    import tarfile

    from bot.actionserver import model_domain

    model = tmp_path / "model.tar.gz"
    with tarfile.open(model, "w:gz") as archive:
        for name, body in (("/components/x/data.json", b"{}"),
                           ("/metadata.json", json.dumps({"domain": KEPT, "trained_at": 1}))):
            data = body if isinstance(body, bytes) else body.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))

    assert model_domain(model) == KEPT
