"""The service catalogue (../shared/SERVICES.md) as code: one home for what the assistant offers.

The intents and forms named here are a contract: the NLU data, the dialogue, the
out-of-domain gate, the staff console's analytics and the acceptance tests all read them from
here. The order is the catalogue's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """One row of the catalogue: its number, the intents that start or serve it, its form."""

    number: int
    intents: tuple[str, ...]
    form: str | None = None
    # False while the assistant only says plainly that it cannot do this yet (its flow is
    # still being built): never offered as a "did you mean" button.
    ready: bool = True

    @property
    def intent(self) -> str:
        """The intent that starts the service (and its form)."""
        return self.intents[0]


CATALOGUE: tuple[Service, ...] = (
    Service(1, ("report_problem",), "problem_report_form"),
    Service(2, ("check_request_status",)),
    Service(3, ("submit_meter_readings",), "meter_readings_form"),
    Service(4, ("check_fines",), "fines_form"),
    Service(5, ("book_doctor", "cancel_appointment"), "doctor_appointment_form"),
    Service(6, ("find_office",)),
    Service(7, ("check_outages",)),
    Service(8, ("subscribe_notifications", "unsubscribe_notifications", "list_subscriptions"),
            "subscription_form"),
    Service(9, ("vote", "show_polls"), "vote_form"),  # vote starts the form
    Service(10, ("faq",)),
    Service(11, ("human_handoff",)),
)

# Every intent that asks for a service: what a message may start (and so what the NLU's
# out-of-domain gate looks at, and what the console counts as a service used).
SERVICE_INTENTS: tuple[str, ...] = tuple(i for s in CATALOGUE for i in s.intents)
# Each form and the intent that starts it.
FORM_SERVICES: dict[str, str] = {s.form: s.intent for s in CATALOGUE if s.form}
# What "did you mean" buttons offer: the services a citizen starts with a few words (a
# retrieval intent has no one button), in the catalogue's order.
OFFERED_INTENTS: tuple[str, ...] = tuple(
    i for s in CATALOGUE if s.ready for i in s.intents if i != "faq")
