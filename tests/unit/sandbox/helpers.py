"""Helpers shared by the sandbox tests: the test api_key, XML to data, posting a request."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from aiohttp.test_utils import TestClient

API_KEY = "test-key"
LIST_TAGS = {"attributes", "values", "endpoints", "formats"}


def xml_items(text: str) -> list[dict[str, Any]]:
    """``<root><item><a>1</a></item></root>`` → ``[{"a": "1"}]`` (nested lists kept)."""
    return [element_data(item) for item in ET.fromstring(text)]


def element_data(element: ET.Element) -> Any:
    children = list(element)
    if element.tag in LIST_TAGS:
        return [element_data(child) for child in children]
    if not children:
        return element.text or ""
    tags = {child.tag for child in children}
    if len(tags) == 1 and len(children) > 1:
        return [element_data(child) for child in children]
    return {child.tag: element_data(child) for child in children}


def as_xml_text(value: Any) -> Any:
    """The text XML carries for a JSON value (the way GeoReport XML writes it)."""
    if isinstance(value, dict):
        return {key: as_xml_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_xml_text(item) for item in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def post_request(client: TestClient, fmt: str = "json", headers: dict | None = None,
                       **fields: str) -> Any:
    """POST a form to requests.{fmt} with the test api_key unless one is given."""
    form = {"api_key": API_KEY, **fields}
    return await client.post(f"/open311/v2/requests.{fmt}", data=form, headers=headers)
