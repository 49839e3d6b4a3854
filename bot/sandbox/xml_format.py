"""GeoReport v2 XML: the same data as the JSON answers, shaped like the spec's examples."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

# A list under these keys holds elements named in the singular.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = SINGULAR.get(element.tag, element.tag.removesuffix("s"))
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def render(root: str, payload: dict[str, Any] | list[Any]) -> str:
    """``render("services", [{...}])`` gives ``<services><service>…</service></services>``."""
    element = ET.Element(root)
    _fill(element, payload)
    body = ET.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}'
