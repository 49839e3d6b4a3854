"""The city's media store: a photo is POSTed once and served back at the URL that is returned.

Open311 GeoReport v2 takes a photo only as ``media_url``; a real city offers an upload endpoint
or a bucket for that. ``POST /media`` (body: the image, Content-Type image/jpeg, image/png or
image/webp, at most 10 MiB) answers ``{"url": ".../media/<id>"}``; ``GET /media/<id>`` serves
the bytes.

The bytes decide what an upload is, not its Content-Type: only JPEG, PNG and WebP (by their
magic numbers) are kept, each with the type its bytes show (a PNG declared as image/jpeg is kept
as the PNG it is: a harmless labelling mistake must not lose a citizen's photo), and anything a
browser could run (SVG, HTML) is refused. What is served says its type with ``nosniff``, a CSP
that allows nothing, and a filename of the city's own choosing.
"""

from __future__ import annotations

import hashlib
import re

from aiohttp import web

from bot.sandbox.errors import ApiError
from bot.sandbox.models import Media
from bot.sandbox.state import open_session

# A phone's photo sent as a file; read apart from the app's 1 MiB client_max_size, which
# keeps every other body (forms, JSON) small.
MAX_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 256 * 1024
# (MIME type, file extension, magic-number test) of every image the store keeps.
IMAGE_TYPES = (
    ("image/jpeg", "jpg", lambda data: data[:3] == b"\xff\xd8\xff"),
    ("image/png", "png", lambda data: data[:8] == b"\x89PNG\r\n\x1a\n"),
    ("image/webp", "webp", lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP"),
)
ALLOWED = [mime for mime, _, _ in IMAGE_TYPES]
EXTENSIONS = {mime: extension for mime, extension, _ in IMAGE_TYPES}
MEDIA_ID = re.compile(r"^[0-9a-f]{32}$")
# Whatever was stored, a browser must neither guess another type nor run anything in it.
SERVED_HEADERS = {"X-Content-Type-Options": "nosniff",
                  "Content-Security-Policy": "default-src 'none'; sandbox"}
routes = web.RouteTableDef()


def image_type(data: bytes) -> str | None:
    """The MIME type the bytes show, if they are an image the store keeps."""
    return next((mime for mime, _, matches in IMAGE_TYPES if matches(data)), None)


def _unsupported(message: str) -> ApiError:
    return ApiError(415, "unsupported_media_type", message, {"allowed": ALLOWED})


def _too_large() -> ApiError:
    return ApiError(413, "media_too_large", f"An image may have at most {MAX_BYTES} bytes.",
                    {"max_bytes": MAX_BYTES})


async def _read_body(request: web.Request) -> bytes:
    """The body, refused as soon as it is longer than MAX_BYTES (declared or streamed)."""
    if (request.content_length or 0) > MAX_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK_BYTES):
        body.extend(chunk)
        if len(body) > MAX_BYTES:
            raise _too_large()
    return bytes(body)


@routes.post("/media")
async def upload(request: web.Request) -> web.Response:
    """Keep a JPEG, PNG or WebP image; the same bytes always get the same URL."""
    if request.content_type not in ALLOWED:
        raise _unsupported(f"Send a JPEG, PNG or WebP image (Content-Type one of "
                           f"{', '.join(ALLOWED)}).")
    data = await _read_body(request)
    if not data:
        raise ApiError(400, "bad_media", "The body must be the image.")
    content_type = image_type(data)
    if content_type is None:
        raise _unsupported("The body is not a JPEG, PNG or WebP image.")
    media_id = hashlib.sha256(data).hexdigest()[:32]
    async with open_session(request.app) as session, session.begin():
        if await session.get(Media, media_id) is None:
            session.add(Media(id=media_id, content_type=content_type, data=data))
    url = f"{request.scheme}://{request.host}/media/{media_id}"
    return web.json_response({"url": url}, status=201)


@routes.get("/media/{id}")
async def serve(request: web.Request) -> web.Response:
    """A kept image, inline under the city's own filename; anything else an older sandbox
    stored is only a download."""
    media_id = request.match_info["id"]
    media = None
    if MEDIA_ID.match(media_id):
        async with open_session(request.app) as session:
            media = await session.get(Media, media_id)
    if media is None:
        raise ApiError(404, "not_found", "No such media.")
    content_type = image_type(media.data)
    if content_type is None:
        return web.Response(body=media.data, content_type="application/octet-stream", headers={
            **SERVED_HEADERS, "Content-Disposition": f'attachment; filename="{media_id}"'})
    filename = f"{media_id}.{EXTENSIONS[content_type]}"
    return web.Response(body=media.data, content_type=content_type, headers={
        **SERVED_HEADERS, "Content-Disposition": f'inline; filename="{filename}"'})
