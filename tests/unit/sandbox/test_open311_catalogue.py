"""Open311 discovery, the service catalogue and service definitions."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from .helpers import as_xml_text, element_data, xml_items

SERVICE_CODES = {"pothole", "streetlight", "waste_bin", "graffiti", "fallen_tree", "playground",
                 "snow", "water_leak", "abandoned_vehicle", "traffic_signal", "lift", "other"}


async def test_discovery_points_at_the_georeport_v2_endpoint_in_both_formats(client):
    data = await (await client.get("/open311/v2/discovery.json")).json()
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "test"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    response = await client.get("/open311/v2/discovery.xml")
    assert response.content_type == "text/xml"
    assert element_data(ET.fromstring(await response.text())) == as_xml_text(data)


async def test_catalogue_lists_the_eleven_problem_services_and_other(client):
    services = await (await client.get("/open311/v2/services.json")).json()
    assert {s["service_code"] for s in services} == SERVICE_CODES
    pothole = next(s for s in services if s["service_code"] == "pothole")
    assert pothole["metadata"] is True
    assert pothole["type"] == "realtime"
    assert "hole in the road" in pothole["keywords"]
    assert pothole["group"] == "Roads"
    graffiti = next(s for s in services if s["service_code"] == "graffiti")
    assert graffiti["metadata"] is False
    other = next(s for s in services if s["service_code"] == "other")  # what fits no category
    assert other["metadata"] is False


async def test_services_json_and_xml_carry_the_same_data(client):
    services = await (await client.get("/open311/v2/services.json")).json()
    response = await client.get("/open311/v2/services.xml")
    text = await response.text()
    assert ET.fromstring(text).tag == "services"
    assert xml_items(text) == as_xml_text(services)


async def test_service_definition_lists_required_choice_attributes(client):
    definition = await (await client.get("/open311/v2/services/pothole.json")).json()
    assert definition["service_code"] == "pothole"
    size = next(a for a in definition["attributes"] if a["code"] == "size")
    assert size["required"] is True
    assert size["datatype"] == "singlevaluelist"
    assert [v["key"] for v in size["values"]] == ["small", "medium", "large"]
    response = await client.get("/open311/v2/services/pothole.xml")
    root = ET.fromstring(await response.text())
    assert root.tag == "service_definition"
    assert element_data(root) == as_xml_text(definition)


async def test_every_service_with_attributes_says_it_has_metadata(client):
    services = await (await client.get("/open311/v2/services.json")).json()
    for service in services:
        definition = await (await client.get(
            f"/open311/v2/services/{service['service_code']}.json")).json()
        assert service["metadata"] == bool(definition["attributes"])


async def test_unknown_service_code_is_404_with_an_error_list(client):
    response = await client.get("/open311/v2/services/unicorns.json")
    assert response.status == 404
    errors = await response.json()
    assert errors[0]["code"] == 404 and "unicorns" in errors[0]["description"]
    response = await client.get("/open311/v2/services/unicorns.xml")
    assert response.status == 404
    root = ET.fromstring(await response.text())
    assert root.tag == "errors" and root.find("error/code").text == "404"


async def test_other_jurisdiction_is_404(client):
    response = await client.get("/open311/v2/services.json?jurisdiction_id=elsewhere.gov")
    assert response.status == 404
    assert "jurisdiction_id" in (await response.json())[0]["description"]
    ok = await client.get("/open311/v2/services.json?jurisdiction_id=citybot.sandbox")
    assert ok.status == 200


async def test_unknown_paths_and_formats_are_404_and_wrong_methods_405(client):
    for path in ("/open311/v2/nothing.json", "/open311/v2/services.csv", "/open311/v2/"):
        response = await client.get(path)
        assert response.status == 404, path
        assert (await response.json())[0]["code"] == 404
    response = await client.delete("/open311/v2/services.json")
    assert response.status == 405
    assert "GET" in response.headers["Allow"]
    assert (await response.json())[0]["code"] == 405
