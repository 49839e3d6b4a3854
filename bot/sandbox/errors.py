"""The two error shapes the sandbox answers with, and the exceptions handlers raise for them.

City JSON API: ``{"error": {"code", "message", "details"}}``.
Open311 GeoReport v2: ``[{"code": 400, "description": "…"}]`` (XML ``<errors><error>…``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from aiohttp import web

from bot.sandbox.xml_format import render

# Machine codes for statuses that the router or aiohttp itself produce.
STATUS_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    500: "internal_error",
}


class ApiError(Exception):
    """A client mistake (or a fault) on the city JSON API."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class Said(NamedTuple):
    """One text as the city says it in English and in Russian."""

    en: str
    ru: str

    def said_in(self, language: str) -> str:
        return self.ru if language == "ru" else self.en


Description = str | Said


class GeoReportError(Exception):
    """One or more Open311 errors sharing one HTTP status; a description is English only (a
    str) or given in both languages (a :class:`Said`), to answer in the language asked for."""

    def __init__(self, status: int, descriptions: Description | list[Description]) -> None:
        given = descriptions if isinstance(descriptions, list) else [descriptions]
        self.texts = [text if isinstance(text, Said) else Said(text, text) for text in given]
        self.descriptions = [text.en for text in self.texts]
        super().__init__("; ".join(self.descriptions))
        self.status = status

    @property
    def translated(self) -> bool:
        return any(text.en != text.ru for text in self.texts)

    def descriptions_in(self, language: str) -> list[str]:
        return [text.said_in(language) for text in self.texts]


def api_error_response(error: ApiError, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    return web.json_response(body, status=error.status, headers=headers)


def wants_xml(request: web.Request) -> bool:
    return request.path.endswith(".xml")


def georeport_error_response(request: web.Request, error: GeoReportError,
                             headers: dict[str, str] | None = None,
                             language: str = "en") -> web.Response:
    """The errors in ``language`` where the city has the words (saying so, as answers do)."""
    if error.translated:
        headers = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    body = [{"code": error.status, "description": text}
            for text in error.descriptions_in(language)]
    if wants_xml(request):
        return web.Response(text=render("errors", body), status=error.status,
                            content_type="text/xml", charset="utf-8", headers=headers)
    return web.json_response(body, status=error.status, headers=headers)


def error_for_path(request: web.Request, status: int, message: str,
                   headers: dict[str, str] | None = None) -> web.Response:
    """An error in the shape of the API family the path belongs to."""
    if request.path.startswith("/open311/"):
        return georeport_error_response(request, GeoReportError(status, message), headers)
    code = STATUS_CODES.get(status, "error")
    return api_error_response(ApiError(status, code, message), headers)
