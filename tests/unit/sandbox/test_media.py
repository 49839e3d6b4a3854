"""The media store: a citizen's photo up to 10 MiB is kept; anything but JPEG, PNG or WebP bytes
is refused; what is served back can never be run by a browser."""

from __future__ import annotations

from bot.sandbox.media import MAX_BYTES
from bot.sandbox.models import Media
from bot.sandbox.state import open_session

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(range(256))
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b"<script>alert(document.cookie)</script></svg>")
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff",
                    "Content-Security-Policy": "default-src 'none'; sandbox"}


async def _upload(client, body: bytes, content_type: str = "image/jpeg", **kwargs):
    return await client.post("/media", data=body, headers={"Content-Type": content_type},
                             **kwargs)


async def _kept(client, response) -> tuple[bytes, dict[str, str]]:
    """The bytes and headers served at the URL an upload answered."""
    assert response.status == 201, await response.text()
    url = (await response.json())["url"]
    served = await client.get(url[url.index("/media/"):])
    assert served.status == 200
    return await served.read(), dict(served.headers)


async def test_a_photo_of_several_megabytes_is_kept(client):
    photo = JPEG + b"\x00" * (3 * 1024 * 1024)
    body, headers = await _kept(client, await _upload(client, photo))
    assert body == photo
    assert headers["Content-Type"] == "image/jpeg"


async def test_a_photo_of_exactly_the_maximum_size_is_kept(client):
    photo = JPEG + b"\x01" * (MAX_BYTES - len(JPEG))
    body, _ = await _kept(client, await _upload(client, photo))
    assert len(body) == MAX_BYTES


async def test_a_photo_over_the_maximum_is_a_413_in_the_api_error_format(client):
    response = await _upload(client, JPEG + b"\x00" * MAX_BYTES)
    assert response.status == 413
    error = (await response.json())["error"]
    assert error["code"] == "media_too_large"
    assert error["details"] == {"max_bytes": MAX_BYTES}


async def test_a_streamed_photo_over_the_maximum_is_a_413_without_a_content_length(client):
    async def chunks():
        yield JPEG
        for _ in range(11):
            yield b"\x00" * (1024 * 1024)

    response = await _upload(client, chunks())
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "media_too_large"


async def test_the_same_bytes_always_get_the_same_url(client):
    first = await (await _upload(client, PNG, "image/png")).json()
    second = await (await _upload(client, PNG, "image/png")).json()
    assert first["url"] == second["url"]


async def test_png_and_webp_are_kept_with_their_own_type(client):
    for body, kind in ((PNG, "image/png"), (WEBP, "image/webp")):
        served, headers = await _kept(client, await _upload(client, body, kind))
        assert served == body and headers["Content-Type"] == kind


async def test_a_png_declared_as_jpeg_is_kept_and_served_as_the_png_it_is(client):
    png = PNG + b"declared as a JPEG"  # bytes no other test stores
    _, headers = await _kept(client, await _upload(client, png, "image/jpeg"))
    assert headers["Content-Type"] == "image/png"


async def test_svg_or_html_declared_as_png_is_refused_with_415(client):
    for body in (SVG, HTML):
        response = await _upload(client, body, "image/png")
        assert response.status == 415, body
        error = (await response.json())["error"]
        assert error["code"] == "unsupported_media_type"
        assert error["details"]["allowed"] == ["image/jpeg", "image/png", "image/webp"]


async def test_svg_gif_and_non_image_types_are_refused_with_415_whatever_the_bytes(client):
    for content_type, body in (("image/svg+xml", SVG), ("image/gif", b"GIF89a" + PNG),
                               ("image/svg+xml", JPEG), ("text/html", HTML),
                               ("application/octet-stream", JPEG)):
        response = await _upload(client, body, content_type)
        assert response.status == 415, content_type
        assert (await response.json())["error"]["code"] == "unsupported_media_type"


async def test_an_empty_body_is_a_400(client):
    response = await _upload(client, b"")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_media"


async def test_served_media_is_never_sniffed_scripted_or_named_by_the_uploader(client):
    _, headers = await _kept(client, await _upload(client, JPEG))
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("inline; filename=")
    filename = disposition.split("filename=", 1)[1].strip('"')
    assert filename.endswith(".jpg") and filename[:-4].isalnum()


async def test_a_non_image_stored_by_an_older_sandbox_is_only_a_download(client):
    async with open_session(client.app) as session, session.begin():
        session.add(Media(id="0" * 32, content_type="image/svg+xml", data=SVG))
    served = await client.get("/media/" + "0" * 32)
    assert served.status == 200
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    for name, value in SECURITY_HEADERS.items():
        assert served.headers[name] == value, name


async def test_an_unknown_media_id_is_a_json_404(client):
    for media_id in ("f" * 32, "../../etc/passwd", "x"):
        response = await client.get(f"/media/{media_id}")
        assert response.status == 404, media_id
        assert (await response.json())["error"]["code"] == "not_found"


async def test_the_openapi_document_describes_the_media_store_as_served(client):
    paths = (await (await client.get("/api/v1/openapi.json")).json())["paths"]
    upload = paths["/media"]["post"]
    assert set(upload["requestBody"]["content"]) == {"image/jpeg", "image/png", "image/webp"}
    assert {"201", "400", "413", "415"} <= set(upload["responses"])
    served = paths["/media/{id}"]["get"]["responses"]["200"]["content"]
    assert {"image/jpeg", "image/png", "image/webp"} <= set(served)
