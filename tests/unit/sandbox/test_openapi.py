"""The OpenAPI document describes every route the sandbox serves."""

from __future__ import annotations

from typing import Any

METHODS = {"get", "post", "put", "patch", "delete"}


def _routed(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for route in app.router.routes():
        if route.method.lower() in METHODS:
            routes.setdefault(route.resource.canonical, set()).add(route.method.lower())
    return routes


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


async def test_openapi_document_is_openapi_3(client):
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]


async def test_openapi_documents_exactly_the_routed_paths_and_methods(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    documented = {path: set(item) & METHODS for path, item in document["paths"].items()}
    assert documented == _routed(client.app)


async def test_every_operation_has_responses_and_declares_its_path_parameters(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], (path, method)
            assert operation["summary"], (path, method)
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            in_path = {part.split("}")[0] for part in path.split("{")[1:]}
            assert declared == in_path, (path, method)


async def test_every_schema_reference_resolves(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas


async def test_operations_with_address_labels_document_lang_and_accept_language(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path in ("/api/v1/addresses", "/api/v1/addresses/{id}", "/api/v1/facilities",
                 "/api/v1/facilities/{id}", "/api/v1/outages"):
        operation = document["paths"][path]["get"]
        params = {(p["in"], p["name"]): p for p in operation["parameters"]}
        assert params[("query", "lang")]["schema"]["enum"] == ["en", "ru"], path
        assert ("header", "Accept-Language") in params, path
        assert "400" in operation["responses"], path


async def test_open311_request_operations_document_their_language(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path, method in (("/open311/v2/requests.{format}", "get"),
                         ("/open311/v2/requests.{format}", "post"),
                         ("/open311/v2/requests/{id}.{format}", "get")):
        parameters = {(p["in"], p["name"])
                      for p in document["paths"][path][method]["parameters"]}
        assert {("header", "Accept-Language"), ("query", "locale")} <= parameters, (path, method)
    schemas = document["components"]["schemas"]
    for field in ("service_name", "agency_responsible", "service_notice", "status_notes"):
        assert "language asked for" in schemas["ServiceRequest"]["properties"][field][
            "description"], field
    assert "language asked for" in schemas["Facility"]["properties"]["name"]["description"]
    assert "language asked for" in schemas["Outage"]["properties"]["reason"]["description"]


async def test_every_operation_that_reads_lang_documents_its_400(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if any(p["in"] == "query" and p["name"] == "lang" for p in operation["parameters"]):
                assert "400" in operation["responses"], (path, method)


async def test_every_open311_operation_documents_the_404_of_another_format(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert (await client.get("/open311/v2/discovery.csv")).status == 404
    for path, item in document["paths"].items():
        if "{format}" in path:
            for method, operation in item.items():
                assert "404" in operation["responses"], (path, method)


async def test_a_requests_address_id_is_a_string_in_the_document_and_in_the_answers(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    schema = document["components"]["schemas"]["ServiceRequest"]["properties"]["address_id"]
    assert schema == {"type": "string", "nullable": True}
    listed = await (await client.get("/open311/v2/requests.json")).json()
    ids = [request["address_id"] for request in listed if request["address_id"] is not None]
    assert ids and all(isinstance(address_id, str) for address_id in ids)
