"""The city's media store: a photo is POSTed once and served back at the URL that is returned.

Open311 GeoReport v2 takes a photo only as ``media_url``; a real city offers an upload endpoint
or a bucket for that. ``POST /media`` (body: the image, Content-Type image/*) answers
``{"url": ".../media/<id>"}``; ``GET /media/<id>`` serves the bytes.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from bot.sandbox.errors import ApiError
from bot.sandbox.models import Media
from bot.sandbox.state import open_session

MAX_BYTES = 10 * 1024 * 1024  # Telegram's photos are far smaller
routes = web.RouteTableDef()


@routes.post("/media")
async def upload(request: web.Request) -> web.Response:
    """Keep an image; the same bytes always get the same URL."""
    content_type = request.content_type or ""
    if not content_type.startswith("image/"):
        raise ApiError(415, "bad_media", "Send an image (Content-Type image/...).")
    if (request.content_length or 0) > MAX_BYTES:
        raise ApiError(413, "bad_media", f"An image may have at most {MAX_BYTES} bytes.")
    data = await request.read()
    if not data or len(data) > MAX_BYTES:
        raise ApiError(400, "bad_media", "The body must be the image.")
    media_id = hashlib.sha256(data).hexdigest()[:32]
    async with open_session(request.app) as session, session.begin():
        if await session.get(Media, media_id) is None:
            session.add(Media(id=media_id, content_type=content_type, data=data))
    url = f"{request.scheme}://{request.host}/media/{media_id}"
    return web.json_response({"url": url}, status=201)


@routes.get("/media/{id}")
async def serve(request: web.Request) -> web.Response:
    async with open_session(request.app) as session:
        media = await session.get(Media, request.match_info["id"])
    if media is None:
        raise ApiError(404, "not_found", "No such media.")
    return web.Response(body=media.data, content_type=media.content_type)
