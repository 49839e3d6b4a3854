"""Every form answers the same interruptions (data/rules/forms.yml), and every slot filled from
free text leaves out every service intent of the catalogue (bot/services.py): a form added or a
service added without its share of these is caught here, not by a citizen."""

from __future__ import annotations

import re

import yaml

from actions.common import ANSWERS
from bot.config import ROOT
from bot.services import CATALOGUE, SERVICE_INTENTS

RULES = yaml.safe_load((ROOT / "data" / "rules" / "forms.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


# The slots of a form, by their prefix, and the intent of the form's own service.
OWN = {"meter_": "submit_meter_readings"}


def _interruptions(form: str) -> set[str]:
    """The intents the rules answer inside ``form`` (the form's name taken out of the rule)."""
    found = set()
    for rule in RULES["rules"]:
        condition = rule.get("condition") or []
        if {"active_loop": form} not in condition:
            continue
        intent = next(step["intent"] for step in rule["steps"] if "intent" in step)
        found.add(intent)
    return found


def test_every_form_answers_the_same_interruptions() -> None:
    forms = [s.form for s in CATALOGUE if s.form and s.form in DOMAIN["forms"]]
    assert len(forms) >= 3
    reference = _interruptions("meter_readings_form")
    assert {"stop", "human_handoff", "restart", "explain", "nlu_fallback"} <= reference
    for form in forms:
        # inform is an answer to the report's and the fines' questions, a stray one to the meters'
        assert _interruptions(form) - {"inform"} == reference - {"inform"}, form


def test_slots_read_from_text_leave_out_every_service_intent() -> None:
    """A request for another service is never taken as the answer to a form's question (a form
    may take its own service's words: "sorry, wrong figure. 210,6" is a reading; and a problem
    named carries an answer's words anywhere: actions.common.ANSWERS)."""
    for name, slot in DOMAIN["slots"].items():
        for mapping in slot.get("mappings") or []:
            if mapping.get("type") != "from_text":
                continue
            left_out = set(mapping.get("not_intent") or [])
            own = {intent for prefix, intent in OWN.items() if name.startswith(prefix)}
            missing = (set(SERVICE_INTENTS) - {"faq", "human_handoff"} - set(ANSWERS) - own
                       - left_out)
            assert not missing, (name, sorted(missing))


def test_the_catalogue_names_only_intents_and_forms_of_the_domain() -> None:
    intents = {i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]}
    assert set(SERVICE_INTENTS) <= intents
    for service in CATALOGUE:
        assert service.ready, service  # every service of the catalogue is built
        if service.form:
            assert service.form in DOMAIN["forms"], service.form
    assert re.fullmatch(r"[a-z_]+", "".join(SERVICE_INTENTS))
