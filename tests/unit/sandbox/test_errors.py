"""Unexpected failures become a logged JSON 500; client mistakes never do."""

from __future__ import annotations

import logging

from aiohttp import web


async def test_an_unexpected_exception_is_a_logged_json_500(aiohttp_client, sandbox_app,
                                                            caplog):
    app = sandbox_app()

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("bug")

    app.router.add_get("/api/v1/broken", broken)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR, logger="bot.sandbox"):
        response = await client.get("/api/v1/broken")
    assert response.status == 500
    assert (await response.json())["error"]["code"] == "internal_error"
    assert any(record.exc_info for record in caplog.records)


async def test_unknown_city_api_path_is_a_json_404(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_wrong_method_on_the_city_api_is_a_json_405(client):
    response = await client.post("/api/v1/districts")
    assert response.status == 405
    assert (await response.json())["error"]["code"] == "method_not_allowed"
