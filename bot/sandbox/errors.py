"""The two error shapes the sandbox answers with, and the exceptions handlers raise for them.

City JSON API: ``{"error": {"code", "message", "details"}}``.
Open311 GeoReport v2: ``[{"code": 400, "description": "…"}]`` (XML ``<errors><error>…``).
"""

from __future__ import annotations

from typing import Any

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


class GeoReportError(Exception):
    """One or more Open311 errors sharing one HTTP status."""

    def __init__(self, status: int, descriptions: str | list[str]) -> None:
        self.descriptions = [descriptions] if isinstance(descriptions, str) else descriptions
        super().__init__("; ".join(self.descriptions))
        self.status = status


def api_error_response(error: ApiError, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    return web.json_response(body, status=error.status, headers=headers)


def wants_xml(request: web.Request) -> bool:
    return request.path.endswith(".xml")


def georeport_error_response(request: web.Request, error: GeoReportError,
                             headers: dict[str, str] | None = None) -> web.Response:
    body = [{"code": error.status, "description": text} for text in error.descriptions]
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
