"""The conversation suite: whole conversations, as citizens hold them, checked end to end.

Each conversation in ``tests/conversations/suite/*.yml`` is a list of citizen turns (what they
type, or which button they press) with what the replies must and must not say, and the outcome
that must hold in the city afterwards (a request filed with the right service, address and
description, or nothing filed; readings stored) and in the conversation (not paused, no form left
open). Facts in replies are checked against the city's own API at run time, never against text
copied into the suite. Written fresh for the suite: none of it is training data.

Turn keys: ``say`` (text) or ``press`` (a button title from the previous reply, matched
case-insensitively as a substring); ``expect`` (each entry must appear in the reply; an entry that
is a list means any one of them), ``refuse`` (must not appear), ``buttons`` (titles that must be
offered), ``silent`` (no reply at all), ``facts`` (checked against the city: ``status_of: ID``,
``outages_at: ADDRESS``, ``no_outages_at: ADDRESS``, ``offices_in: DISTRICT``).

Conversation keys: ``id``, ``about``, ``turns``, and the outcome: ``filed`` (``none``, or
``{service, address, description}``; at most one request is ever filed), ``readings``
(``{account, hot, cold}``), ``handoff`` (``open`` when the conversation must end waiting for or
with a person, default: neither), ``form`` (the form still open at the end, default none).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

SUITE = Path(__file__).parent / "suite"

# Never said to a citizen, whatever the conversation.
ALWAYS_REFUSED = (
    "something went wrong", "traceback", "{", "}", "None", "(1 reports)",
)


@dataclass
class Result:
    id: str
    about: str
    failures: list[str] = field(default_factory=list)
    wrong_facts: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.wrong_facts


def load(suite: Path = SUITE) -> list[dict[str, Any]]:
    conversations: list[dict[str, Any]] = []
    for file in sorted(suite.glob("*.yml")):
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        for conv in document["conversations"]:
            conv["file"] = file.name
            conv.setdefault("language", document.get("language", "en"))
            conversations.append(conv)
    ids = [c["id"] for c in conversations]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate conversation ids: {sorted(duplicates)}"
    return conversations


def reply_text(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def button_titles(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]


def _has(text: str, wanted: str) -> bool:
    return wanted.casefold() in text.casefold()


class City:
    """What the city knows, asked over its public API (and the sandbox's test hook)."""

    def __init__(self, sandbox: str) -> None:
        self.sandbox = sandbox

    def _get(self, path: str, **params: Any) -> Any:
        resp = requests.get(f"{self.sandbox}{path}", params=params, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def filed_by(self, sender: str) -> list[dict]:
        return self._get("/sandbox/requests", device_id=sender)

    def request(self, request_id: str) -> dict:
        return self._get(f"/open311/v2/requests/{request_id}.json")[0]

    def address(self, text: str) -> dict:
        items = self._get("/api/v1/addresses", q=text, limit=1)["items"]
        assert items, f"the city knows no address {text!r}"
        return items[0]

    def outages(self, address_id: str) -> list[dict]:
        return self._get("/api/v1/outages", address_id=address_id)["items"]

    def meters(self, account: str) -> dict:
        from bot.sandbox.seed import flat_of  # the sandbox's own seeded flat of the account

        return self._get(f"/api/v1/meters/{account}", flat=flat_of(account))

    def facilities(self, district: str, language: str = "en") -> list[dict]:
        return self._get("/api/v1/facilities", type="service_centre", district=district,
                         lang=language)["items"]


OUTAGE_WORDS = {
    "hot_water": "hot water", "cold_water": "cold water", "heating": "heating",
    "electricity": "electricity",
}


def check_facts(
    city: City, facts: dict[str, Any], text: str, language: str = "en",
) -> tuple[list[str], list[str]]:
    """The facts a reply must state as the city has them, in the conversation's ``language``
    where the city speaks it (office names): (missing, wrong).

    Missing: the reply does not say it (a failure); wrong: the reply says the opposite of what
    the city knows (a wrong fact, never allowed).
    """
    missing: list[str] = []
    wrong: list[str] = []
    if "status_of" in facts:
        request = city.request(str(facts["status_of"]))
        for part in (request["service_request_id"], request.get("status_notes") or ""):
            if part and not _has(text, part):
                missing.append(f"status of {facts['status_of']}: {part!r} not said")
        other = "open" if request["status"] == "closed" else "closed"
        if re.search(rf"{request['service_request_id']}\b[^\n]*\bis {other}\b", text):
            wrong.append(f"said {facts['status_of']} is {other}; the city has it {request['status']}")
    if "outages_at" in facts:
        found = city.outages(city.address(facts["outages_at"])["id"])
        if not found:
            missing.append(f"the suite expects outages at {facts['outages_at']}, the city has none")
        for outage in found:
            if not _has(text, OUTAGE_WORDS[outage["kind"]]):
                missing.append(f"{outage['kind']} outage at {facts['outages_at']} not said")
        if found and re.search(r"\bno (?:planned )?outages\b", text, re.IGNORECASE):
            wrong.append(f"said there are no outages at {facts['outages_at']}")
    if "no_outages_at" in facts:
        found = city.outages(city.address(facts["no_outages_at"])["id"])
        if found:
            missing.append(f"the suite expects no outages at {facts['no_outages_at']}")
        for word in OUTAGE_WORDS.values():
            if not found and re.search(rf"^\W*{word}\b", text, re.IGNORECASE | re.MULTILINE):
                wrong.append(f"an outage ({word}) told where the city has none")
    if "offices_in" in facts:
        for facility in city.facilities(facts["offices_in"], language):
            if not _has(text, facility["name"]):
                missing.append(f"office {facility['name']!r} in {facts['offices_in']} not said")
    return missing, wrong


def _check_turn(turn: dict[str, Any], messages: list[dict]) -> list[str]:
    text = reply_text(messages)
    failures: list[str] = []
    if turn.get("silent"):
        if messages:
            failures.append(f"expected no reply, got {text!r}")
        return failures
    if not messages:
        failures.append("no reply")
    for wanted in turn.get("expect") or []:
        options = wanted if isinstance(wanted, list) else [wanted]
        if not any(_has(text, str(o)) for o in options):
            failures.append(f"expected {' or '.join(map(repr, options))}")
    for unwanted in [*(turn.get("refuse") or []), *ALWAYS_REFUSED]:
        if unwanted in ("None", "{", "}"):
            present = unwanted in text
        else:
            present = _has(text, unwanted)
        if present:
            failures.append(f"said {unwanted!r}")
    titles = [b.get("title") or "" for b in button_titles(messages)]
    for wanted in turn.get("buttons") or []:
        if not any(_has(t, wanted) for t in titles):
            failures.append(f"no button {wanted!r} among {titles}")
    return failures


def _check_outcome(
    conv: dict[str, Any], sender: str, city: City, tracker: dict[str, Any]
) -> list[str]:
    failures: list[str] = []
    filed = city.filed_by(sender)
    expected = conv.get("filed", "none")
    if expected in ("none", None):
        if filed:
            failures.append(f"filed {[r['service_code'] for r in filed]} but should file nothing")
    else:
        if len(filed) != 1:
            failures.append(f"expected one request filed, the city has {len(filed)}")
        for request in filed[:1]:
            if request["service_code"] != expected["service"]:
                failures.append(f"filed as {request['service_code']}, not {expected['service']}")
            for key in ("address", "description"):
                if key in expected and not _has(request.get(key) or "", str(expected[key])):
                    failures.append(f"filed {key} {request.get(key)!r} lacks {expected[key]!r}")
            for key in ("address_not", "description_not"):
                field_name = key.removesuffix("_not")
                if key in expected and _has(request.get(field_name) or "", str(expected[key])):
                    failures.append(f"filed {field_name} {request.get(field_name)!r} has {expected[key]!r}")
    if "readings" in conv:
        want = conv["readings"]
        meters = {m["kind"]: m for m in city.meters(str(want["account"]))["meters"]}
        for kind in ("hot", "cold"):
            if kind in want:
                this_month = (meters.get(kind) or {}).get("this_month") or {}
                if this_month.get("value") != want[kind]:
                    failures.append(f"{kind} reading stored {this_month.get('value')}, not {want[kind]}")
    # Waiting for a person (the assistant still answers until an operator takes it) or paused.
    with_person = bool(tracker.get("paused")) or bool(
        (tracker.get("slots") or {}).get("handoff_waiting"))
    if conv.get("handoff") == "open" and not with_person:
        failures.append("should be waiting for a person, is not")
    if conv.get("handoff") != "open" and with_person:
        failures.append("left waiting for a person")
    loop = (tracker.get("active_loop") or {}).get("name")
    if loop != conv.get("form"):
        failures.append(f"form left open: {loop}" if loop else f"form {conv.get('form')} not open")
    return failures


def run(
    conv: dict[str, Any],
    sender: str,
    say: Callable[[str, str], list[dict]],
    tracker: Callable[[str], dict[str, Any]],
    city: City,
) -> Result:
    """Hold one conversation and check it; never raises for a failing check."""
    result = Result(conv["id"], conv.get("about", ""))
    previous: list[dict] = []
    for n, turn in enumerate(conv["turns"], start=1):
        if "press" in turn:
            chosen = [b for b in button_titles(previous) if _has(b.get("title") or "", turn["press"])]
            if not chosen:
                result.failures.append(f"turn {n}: no button {turn['press']!r} to press")
                break
            text = chosen[0]["payload"]
            shown = f"[{chosen[0]['title']}]"
        else:
            text = shown = str(turn["say"])
        try:
            previous = say(sender, text)
        except requests.RequestException as exc:
            result.failures.append(f"turn {n}: the server failed: {exc}")
            break
        result.transcript.append((shown, reply_text(previous)))
        result.failures += [f"turn {n} ({shown!r}): {f}" for f in _check_turn(turn, previous)]
        if turn.get("facts"):
            missing, wrong = check_facts(city, turn["facts"], reply_text(previous),
                                         conv.get("language", "en"))
            result.failures += [f"turn {n}: {m}" for m in missing]
            result.wrong_facts += [f"turn {n}: {w}" for w in wrong]
    result.failures += _check_outcome(conv, sender, city, tracker(sender))
    return result


def report(results: list[Result]) -> str:
    """A markdown report: the rate, then every failing conversation with its transcript."""
    passed = sum(r.passed for r in results)
    lines = [
        f"# Conversation suite: {passed}/{len(results)} passed "
        f"({100 * passed / max(len(results), 1):.1f} %), "
        f"{sum(len(r.wrong_facts) for r in results)} wrong facts",
        "",
    ]
    for r in results:
        if r.passed:
            continue
        lines += [f"## {r.id}: {r.about}", ""]
        lines += [f"- {f}" for f in r.failures + r.wrong_facts]
        lines.append("")
        for said, answer in r.transcript:
            lines.append(f"    > {said}")
            lines += [f"    {line}" for line in answer.splitlines()]
        lines.append("")
    return "\n".join(lines)
