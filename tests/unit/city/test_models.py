"""Parsing what the city answers: lenient about missing fields, strict about meaning."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.city.models import (
    Address,
    MeterAccount,
    Outage,
    Service,
    ServiceAttribute,
    ServiceDefinition,
    ServiceRequest,
)


def attribute(code: str, order: int, *, required: object = True, variable: object = True) -> dict:
    return {"code": code, "order": order, "required": required, "variable": variable,
            "datatype": "string", "description": code}


def test_required_attributes_come_in_the_citys_order_without_optional_or_fixed_ones():
    definition = ServiceDefinition("x", tuple(ServiceAttribute.from_json(a) for a in [
        attribute("colour", 3),
        attribute("optional", 0, required=False),
        attribute("size", 1, required="true"),
        attribute("fixed", 2, variable="false"),
        attribute("lane", 2),
    ]))
    assert [a.code for a in definition.required_attributes] == ["size", "lane", "colour"]


def test_attribute_parses_list_values_and_falls_back_to_the_datatype_description():
    parsed = ServiceAttribute.from_json({
        "code": "size", "required": "false", "datatype": "singlevaluelist",
        "datatype_description": "One of: s, l",
        "values": [{"key": "s", "name": "Small"}, {"key": "l"}],
    })
    assert parsed.required is False and parsed.variable is True
    assert parsed.description == "One of: s, l"
    assert [(v.key, v.name) for v in parsed.values] == [("s", "Small"), ("l", "l")]


def test_service_keywords_may_be_a_comma_string_or_a_list():
    from_text = Service.from_json({"service_code": "lift", "keywords": "lift, elevator,, "})
    from_list = Service.from_json({"service_code": "lift", "keywords": ["lift", "elevator"]})
    assert from_text.keywords == from_list.keywords == ("lift", "elevator")
    assert from_text.name == "lift" and from_text.metadata is False


def test_a_request_with_missing_and_odd_fields_still_parses():
    parsed = ServiceRequest.from_json({
        "service_request_id": 100234, "status": "CLOSED", "lat": "55.75", "long": "east",
        "requested_datetime": "2026-10-01T09:30:00Z", "updated_datetime": "yesterday",
        "description": "",
    })
    assert parsed.id == "100234" and parsed.status == "closed"
    assert parsed.lat == 55.75 and parsed.long is None
    assert parsed.requested is not None and parsed.requested.utcoffset() == timedelta(0)
    assert parsed.requested.replace(tzinfo=None) == datetime(2026, 10, 1, 9, 30)
    assert parsed.updated is None and parsed.description is None


def test_address_label_falls_back_to_house_and_street():
    parsed = Address.from_json({"id": 7, "street": "Arbat", "house": "10", "score": 0.5})
    assert parsed.id == "7" and parsed.label == "10 Arbat" and parsed.score == 0.5


def test_meter_account_without_readings_or_window_keeps_sensible_defaults():
    parsed = MeterAccount.from_json({
        "account": "7700000001",
        "meters": [{"kind": "cold", "serial": "C1", "last_reading": None},
                   {"kind": "hot", "last_reading": {"value": 12, "date": "2026-09-20"}}],
    })
    assert parsed.meter("cold").last is None
    assert parsed.meter("hot").last.value == 12.0
    assert parsed.meter("hot").last.date == date(2026, 9, 20)
    assert parsed.meter("gas") is None
    assert (parsed.window.opens_day, parsed.window.closes_day) == (1, 31)
    assert parsed.window.open_now is True and parsed.max_monthly_m3 == 50


def test_outage_streets_become_a_tuple_and_status_defaults_to_planned():
    parsed = Outage.from_json({"id": 3, "streets": ["Arbat"], "starts_at": "2026-10-01T08:00:00"})
    assert parsed.streets == ("Arbat",) and parsed.status == "planned"
    assert parsed.starts_at == datetime(2026, 10, 1, 8) and parsed.ends_at is None


def test_an_attribute_answer_is_read_by_key_name_or_part_of_a_name():
    from bot.city.models import AttributeValue, ServiceAttribute

    size = ServiceAttribute(
        code="size", description="How big?", datatype="singlevaluelist", required=True,
        values=(AttributeValue("small", "Smaller than a shoe box"),
                AttributeValue("large", "Larger than a car wheel")),
    )
    assert size.choose("large") == "large"
    assert size.choose("Smaller than a shoe box") == "small"
    assert size.choose("car wheel") == "large"
    assert size.choose("enormous") == "large"  # a word that means an option is that option
    assert size.choose("I said, bigger than a car wheel") == "large"
    assert size.choose("can you cook borscht") is None
    assert size.choose("") is None
    free = ServiceAttribute(code="note", description="Anything else?", datatype="string",
                            required=False)
    assert free.choose("  by the gate ") == "by the gate"


def _size(*titles: tuple[str, str]) -> ServiceAttribute:
    return ServiceAttribute.from_json({
        "code": "size", "required": True, "datatype": "singlevaluelist",
        "values": [{"key": key, "name": name} for key, name in titles]})


def test_an_answer_means_an_option_by_its_title_in_any_language_the_city_gave():
    russian = _size(("small", "Меньше обувной коробки"), ("large", "Больше колеса автомобиля"))
    english = _size(("small", "Smaller than a shoe box"), ("large", "Larger than a car wheel"),
                    ("huge", "Huge"))  # a key only the other copy has is no option here
    assert russian.choose("больше колеса") == "large"
    assert russian.choose("about a shoe box") is None
    assert russian.choose("about a shoe box", also=[english]) == "small"
    assert russian.choose("smaller") == "small"  # a word for an option means it in any language
    assert russian.choose("huge", also=[english]) == "large"  # "huge" is a word for larger
    assert russian.options(english) == [
        ("small", "Меньше обувной коробки"), ("large", "Больше колеса автомобиля"),
        ("small", "Smaller than a shoe box"), ("large", "Larger than a car wheel")]


def test_a_definition_finds_its_attribute_by_code():
    definition = ServiceDefinition("x", (_size(("s", "S")),))
    assert definition.attribute("size") is definition.attributes[0]
    assert definition.attribute("colour") is None
