"""The sandbox city's Open311 service catalogue (SERVICES.md, row 1) as seed data."""

from __future__ import annotations

from typing import Any


def _choice(code: str, description: str, values: list[tuple[str, str]], *, required: bool,
            order: int) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": "singlevaluelist",
        "required": required,
        "datatype_description": "One of: " + ", ".join(key for key, _ in values),
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def _text(code: str, description: str, *, order: int, required: bool = False) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": "string",
        "required": required,
        "datatype_description": "Free text, up to 200 characters",
        "order": order,
        "description": description,
        "values": [],
    }


def _service(code: str, name: str, description: str, keywords: list[str], group: str,
             agency: str, days: int, attributes: list[dict[str, Any]] | None = None,
             type_: str = "realtime") -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "description": description,
        "type": type_,
        "keywords": ", ".join(keywords),
        "group": group,
        "agency": agency,
        "resolution_days": days,
        "attributes": attributes or [],
    }


SERVICES: list[dict[str, Any]] = [
    _service(
        "pothole", "Pothole", "A pothole or other damage to the road surface.",
        ["pothole", "road damage", "hole in the road"], "Roads", "Roads Department", 10,
        [
            _choice("size", "How big is the pothole?",
                    [("small", "Smaller than a shoe box"), ("medium", "Up to a car wheel"),
                     ("large", "Larger than a car wheel")], required=True, order=1),
            _text("lane", "Which lane or side of the road?", order=2),
        ],
    ),
    _service(
        "streetlight", "Street light out", "A street light that is out, flickering or on by day.",
        ["street light", "streetlight", "lamp"], "Street lighting", "Street Lighting Service", 5,
        [
            _choice("lights_out", "How many lights are out?",
                    [("one", "One light"), ("several", "Several lights in a row")],
                    required=True, order=1),
            _text("pole_number", "The number painted on the pole, if visible.", order=2),
        ],
    ),
    _service(
        "waste_bin", "Overflowing bin", "A public waste bin or container that is full or broken.",
        ["overflowing bin", "rubbish", "garbage", "trash"], "Sanitation",
        "Sanitation Department", 2,
        [
            _choice("bin_type", "What kind of bin?",
                    [("street_bin", "Street litter bin"), ("container", "Yard container")],
                    required=False, order=1),
        ],
    ),
    # Graffiti removal is contracted out in weekly batches: filing answers with a token.
    _service(
        "graffiti", "Graffiti", "Graffiti or unauthorised posters on a public surface.",
        ["graffiti"], "Sanitation", "Housing and Utilities", 14, type_="batch",
    ),
    _service(
        "fallen_tree", "Fallen tree", "A fallen tree or a broken branch that is in the way.",
        ["fallen tree", "tree", "branch"], "Parks and greenery",
        "Parks and Greenery Department", 3,
        [
            _choice("blocking", "What does it block?",
                    [("road", "The road"), ("pavement", "The pavement"),
                     ("nothing", "Nothing, but it is dangerous")], required=True, order=1),
        ],
    ),
    _service(
        "playground", "Broken playground", "Broken or dangerous playground equipment.",
        ["broken playground", "playground", "swing"], "Parks and greenery",
        "Housing and Utilities", 7,
        [_text("equipment", "Which piece of equipment is broken?", order=1)],
    ),
    _service(
        "snow", "Snow not cleared", "Snow or ice not cleared from a pavement, yard or road.",
        ["snow not cleared", "snow", "ice"], "Roads", "Housing and Utilities", 1,
        [
            _choice("surface", "Where is the snow?",
                    [("pavement", "Pavement"), ("yard", "Yard"), ("road", "Road"),
                     ("roof", "Roof (icicles)")], required=False, order=1),
        ],
    ),
    _service(
        "water_leak", "Water leak", "A leaking or burst water pipe, or flooding.",
        ["water leak", "burst pipe", "flooding"], "Water", "City Water Utility", 1,
        [
            _choice("leak_location", "Where is the leak?",
                    [("street", "In the street"), ("stairwell", "In a stairwell"),
                     ("apartment", "In an apartment")], required=True, order=1),
            _text("apartment_number", "Apartment number, if the leak is inside.", order=2),
        ],
    ),
    _service(
        "abandoned_vehicle", "Abandoned vehicle", "A car or other vehicle left abandoned.",
        ["abandoned car", "abandoned vehicle"], "Traffic", "Traffic Management Centre", 14,
        [_text("licence_plate", "The licence plate, if there is one.", order=1)],
    ),
    _service(
        "traffic_signal", "Broken traffic light", "A traffic light that is dark, stuck or "
        "flashing.", ["broken traffic light", "traffic light"], "Traffic",
        "Traffic Management Centre", 1,
        [
            _choice("signal_state", "What is wrong with it?",
                    [("dark", "It is dark"), ("flashing", "It is flashing yellow"),
                     ("stuck", "It is stuck on one colour")], required=True, order=1),
        ],
    ),
    _service(
        "lift", "Broken lift", "A lift (elevator) in a residential building that does not work.",
        ["broken lift", "lift", "elevator"], "Housing", "Housing and Utilities", 1,
        [
            _choice("people_trapped", "Is anyone trapped inside?",
                    [("yes", "Yes"), ("no", "No")], required=True, order=1),
            _text("entrance", "Entrance (podyezd) number.", order=2),
        ],
    ),
    # What fits none of the above (an open manhole, a broken bench): the city's call centre sorts it.
    _service(
        "other", "Other problem", "Any other problem in a public place that is not in this list.",
        ["other", "something else", "none of these", "another problem"], "Other",
        "City Call Centre", 5,
    ),
]


def service_notice(name: str, agency: str, days: int) -> str:
    """The notice a citizen gets when filing: who handles it and how long it usually takes."""
    unit = "day" if days == 1 else "days"
    return f"{name}: handled by the {agency}, usually within {days} {unit}."
