"""Open311 GeoReport v2 client: any city's endpoint works by changing the base URL and key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from bot.city.errors import CityNotFound, CityProtocolError
from bot.city.http import CityHTTP
from bot.city.models import FiledRequest, Service, ServiceDefinition, ServiceRequest, ServiceAttribute

MAX_DESCRIPTION = 4000
# What a GeoReport v2 city answers in when not asked: the spec has no language, and the cities
# (and the sandbox) default to English.
CITY_LANGUAGE = "en"


def _open311_error(status: int, body: Any) -> tuple[str, str, dict[str, Any]]:
    """GeoReport v2 errors are a list of ``{code, description}``."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        first = body[0]
        return str(first.get("code", status)), str(first.get("description", "")), {"errors": body}
    if isinstance(body, dict) and "description" in body:
        return str(body.get("code", status)), str(body["description"]), {}
    return str(status), "", {}


def _language_headers(language: str | None) -> dict[str, str] | None:
    """``Accept-Language`` for a language other than the city's default, else nothing: GeoReport
    v2 has no language parameter, and a city that ignores the header simply answers in its
    default."""
    if not language or language == CITY_LANGUAGE:
        return None
    return {"Accept-Language": language}


@dataclass
class NewRequest:
    """A service request ready to be filed; ``language`` is the citizen's, which the city is
    asked to answer in (its notice, or why it refused). It is no part of the form: the request
    itself is the same in every language, and kept with it a retry asks in the same language."""

    service_code: str
    description: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    media_url: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    language: str | None = None

    def form(self) -> dict[str, str]:
        """The form-encoded body, without credentials."""
        body: dict[str, str] = {
            "service_code": self.service_code,
            "description": self.description[:MAX_DESCRIPTION],
        }
        if self.lat is not None and self.long is not None:
            body["lat"] = f"{self.lat:.6f}"
            body["long"] = f"{self.long:.6f}"
        if self.address_string:
            body["address_string"] = self.address_string
        if self.address_id:
            body["address_id"] = self.address_id
        for key, value in (
            ("media_url", self.media_url),
            ("device_id", self.device_id),
            ("account_id", self.account_id),
        ):
            if value:
                body[key] = value
        for code, value in self.attributes.items():
            body[f"attribute[{code}]"] = str(value)
        return body


class Open311Client:
    """Typed calls of the GeoReport v2 API (JSON format).

    Calls whose answers carry words take ``language`` (the conversation's); the city is asked in
    it with ``Accept-Language``, and a city that does not speak it answers in its own.
    """

    def __init__(
        self, http: CityHTTP, base_url: str, *, api_key: str = "", jurisdiction_id: str = ""
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._api_key = api_key
        self._jurisdiction = jurisdiction_id

    def _params(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        params = {k: v for k, v in (extra or {}).items() if v not in (None, "")}
        if self._jurisdiction:
            params["jurisdiction_id"] = self._jurisdiction
        return params

    async def _get(
        self, path: str, params: Mapping[str, Any] | None = None, *, language: str | None = None
    ) -> Any:
        return await self._http.request(
            "GET", f"{self._base}/{path}", params=self._params(params),
            headers=_language_headers(language), parse_error=_open311_error,
        )

    async def services(self, *, language: str | None = None) -> list[Service]:
        """The catalogue; names, descriptions and keywords in ``language`` if the city speaks it
        (asked with ``Accept-Language``; a city that does not answers in its own)."""
        body = await self._get("services.json", language=language)
        if not isinstance(body, list):
            raise CityProtocolError("services.json is not a list")
        return [Service.from_json(s) for s in body]

    async def service_definition(
        self, code: str, *, language: str | None = None
    ) -> ServiceDefinition:
        """A service's attributes; questions and option titles in ``language`` if the city
        speaks it (codes and keys are the same in every language)."""
        body = await self._get(f"services/{code}.json", language=language)
        if not isinstance(body, dict):
            raise CityProtocolError("service definition is not an object")
        return ServiceDefinition(
            code=str(body.get("service_code", code)),
            attributes=tuple(ServiceAttribute.from_json(a) for a in body.get("attributes") or []),
        )

    async def create_request(
        self, request: NewRequest, *, idempotency_key: str | None = None
    ) -> FiledRequest:
        """File a request. With an idempotency key the call may be retried safely. The notice,
        or the reason for a refusal (``CityRejected.message``), comes in ``request.language`` if
        the city speaks it."""
        body = request.form()
        body["api_key"] = self._api_key
        if self._jurisdiction:
            body["jurisdiction_id"] = self._jurisdiction
        headers = {**(_language_headers(request.language) or {}),
                   **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
        answer = await self._http.request(
            "POST", f"{self._base}/requests.json", data=body, headers=headers or None,
            idempotent=bool(idempotency_key), parse_error=_open311_error,
        )
        if not isinstance(answer, list) or not answer or not isinstance(answer[0], dict):
            raise CityProtocolError("requests.json POST answer is not a list")
        return FiledRequest.from_json(answer[0])

    async def get_request(self, request_id: str, *, language: str | None = None) -> ServiceRequest:
        """One request; its service name, agency, notice and the city's own status notes in
        ``language`` if the city speaks it."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", request_id):
            raise CityNotFound(f"no request {request_id!r}")
        body = await self._get(f"requests/{request_id}.json", language=language)
        if not isinstance(body, list) or not body:
            raise CityNotFound(f"no request {request_id!r}")
        return ServiceRequest.from_json(body[0])

    async def requests(self, *, language: str | None = None, **filters: Any
                       ) -> list[ServiceRequest]:
        """Requests by the GeoReport filters, their words in ``language`` as in
        :meth:`get_request`."""
        body = await self._get("requests.json", filters, language=language)
        if not isinstance(body, list):
            raise CityProtocolError("requests.json is not a list")
        return [ServiceRequest.from_json(r) for r in body]

    async def request_id_for_token(self, token: str) -> str | None:
        body = await self._get(f"tokens/{token}.json")
        if isinstance(body, list) and body and body[0].get("service_request_id"):
            return str(body[0]["service_request_id"])
        return None
