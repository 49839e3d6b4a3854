"""Every operation of the sandbox's OpenAPI document, fuzzed with schemathesis.

The document describes the city JSON API, Open311 GeoReport v2, the portal, the media store
and the test hooks; each operation gets valid and invalid requests (examples, boundary values,
random data) against a real sandbox on loopback with its own temporary database. No answer may
be a 5xx, and every answer must be one the document promises: a documented status, content
type and body schema.

A few examples per operation in the normal run; ``make fuzz`` sets CITYBOT_FUZZ_EXAMPLES for
many more (a failure prints its seed: CITYBOT_FUZZ_SEED replays the run).
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.config import Settings
from bot.sandbox.app import PORTAL_DIR, make_app
from bot.sandbox.dates import moscow_now
from bot.sandbox.media import ALLOWED as IMAGE_TYPES

EXAMPLES_ENV = "CITYBOT_FUZZ_EXAMPLES"
SEED_ENV = "CITYBOT_FUZZ_SEED"
DEFAULT_EXAMPLES = 10
API_KEY = "fuzz-key"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# The fault hook exists to make the city fail (500) or hang on purpose: fuzzing it would only
# break the server under test. Every other operation, the other test hooks included, is fuzzed.
FAULTS_PATH = "/sandbox/faults"
FILING = ("POST", "/open311/v2/requests.{format}")
# Filing fields random text almost never gets right (a filing with any of them wrong is refused).
CHECKED_FIELDS = ("jurisdiction_id", "lat", "long", "address_id", "email", "media_url")
METERS = ("/api/v1/meters/{account}", "/api/v1/meters/{account}/readings")
# What a client may send as an image: the magic number of each kept type (whatever type it is
# declared as) followed by anything, things a browser would run, and random bytes.
MAGIC = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP"]
RUNNABLE = [b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            b"<!doctype html><script>alert(1)</script>"]
IMAGE_BYTES = st.one_of(
    st.builds(lambda magic, tail: magic + tail, st.sampled_from(MAGIC), st.binary(max_size=512)),
    st.sampled_from(RUNNABLE),
    st.binary(max_size=512),
)
for _image_type in IMAGE_TYPES:
    schemathesis.openapi.media_type(_image_type, IMAGE_BYTES)


class LoopbackSandbox:
    """The sandbox city served on a free loopback port from a thread of its own (schemathesis
    calls it synchronously, over real sockets)."""

    def __init__(self, app: web.Application) -> None:
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> str:
        self.thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=300)

    async def _start(self) -> str:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=60)
        self.loop.close()


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    database: Path


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A seeded sandbox over a temporary SQLite file (never var/): the clock off, the test
    hooks on (the document describes them), the real portal texts."""
    var_dir: Path = tmp_path_factory.mktemp("fuzz")
    settings = Settings(var_dir=var_dir, sandbox_api_key=API_KEY, sandbox_database_url="")
    server = LoopbackSandbox(make_app(settings, clock_seconds=0, faults=True,
                                      meter_window=(1, 31), portal_dir=PORTAL_DIR))
    yield RunningSandbox(server.start(), var_dir / "sandbox.db")
    server.stop()


@dataclass(frozen=True)
class SeededAccount:
    account: str
    flat: str | None  # None where accounts have no flat
    last: dict[str, float]  # each meter's baseline: its last reading of an earlier month


def seeded_accounts(database: Path) -> list[SeededAccount]:
    """Every meter account the city was seeded with, read from the sandbox's database."""
    month = moscow_now().strftime("%Y-%m")
    with sqlite3.connect(database) as connection:
        try:
            flats = dict(connection.execute("SELECT account, flat FROM meter_accounts"))
        except sqlite3.OperationalError:
            flats = dict.fromkeys(account for (account,) in connection.execute(
                "SELECT account FROM meter_accounts"))
        last: dict[str, dict[str, float]] = {}
        for account, kind, value in connection.execute(
                "SELECT account, kind, value FROM readings WHERE month < ? ORDER BY month",
                (month,)):
            last.setdefault(account, {})[kind] = value
    return [SeededAccount(account, flat, last.get(account, {}))
            for account, flat in sorted(flats.items())]


def known_path_values(url: str) -> dict[str, dict[str, list[str]]]:
    """Path parameter values that name something the city has, by operation path: random
    text almost never names a meter account, a request or a kept photo."""
    services = requests.get(f"{url}/open311/v2/services.json", timeout=30).json()
    seeded = requests.get(f"{url}/open311/v2/requests.json", timeout=30).json()
    batch = requests.post(f"{url}/open311/v2/requests.json", timeout=30, data={
        "api_key": API_KEY, "service_code": "graffiti", "address_string": "Arbat 3"}).json()
    photo = requests.post(f"{url}/media", data=MAGIC[0] + b"a photo", timeout=30,
                          headers={"Content-Type": "image/jpeg"}).json()
    return {
        "/open311/v2/services/{code}.{format}": {
            "code": [service["service_code"] for service in services]},
        "/open311/v2/requests/{id}.{format}": {
            "id": [request["service_request_id"] for request in seeded]},
        "/open311/v2/tokens/{token}.{format}": {"token": [batch[0]["token"]]},
        "/media/{id}": {"id": [photo["url"].rsplit("/", 1)[1]]},
        "/portal/faq/{topic}": {"topic": [path.stem for path in PORTAL_DIR.glob("*.md")]},
        "/portal/ru/faq/{topic}": {"topic": [path.stem for path in PORTAL_DIR.glob("ru/*.md")]},
    }


def filing_forms(url: str) -> list[dict[str, str]]:
    """For every service, a form the city files: the key, the code, a place, every required
    question answered."""
    forms = []
    for service in requests.get(f"{url}/open311/v2/services.json", timeout=30).json():
        code = service["service_code"]
        definition = requests.get(f"{url}/open311/v2/services/{code}.json", timeout=30).json()
        form = {"api_key": API_KEY, "service_code": code, "address_string": "Tverskaya 12"}
        for attribute in definition["attributes"]:
            if attribute["required"]:
                values = attribute["values"]
                form[f"attribute[{attribute['code']}]"] = values[0]["key"] if values else "yes"
        forms.append(form)
    return forms


@pytest.fixture(scope="module")
def city_schema(sandbox: RunningSandbox) -> schemathesis.BaseSchema:
    """The document as the running sandbox serves it, steered half the time to things the
    city has, so that the answers that carry data are checked too."""
    # make test: one fixed seed (the same requests every run); make fuzz: a fresh one.
    fixed = None if EXAMPLES_ENV in os.environ else 20261201
    seed = int(os.environ.get(SEED_ENV) or fixed or random.getrandbits(64))
    print(f"schemathesis seed {seed}: {SEED_ENV}={seed} replays this run")  # shown on failure
    config: dict[str, Any] = {
        "base-url": sandbox.url,
        "seed": seed,
        # Valid and invalid data; no example database on disk (the seed replays a failure).
        "generation": {"max-examples": int(os.environ.get(EXAMPLES_ENV) or DEFAULT_EXAMPLES),
                       "mode": "all", "database": "none"},
    }
    schema = schemathesis.openapi.from_url(f"{sandbox.url}/api/v1/openapi.json",
                                           config=schemathesis.Config.from_dict(config))
    known = known_path_values(sandbox.url)
    forms = filing_forms(sandbox.url)
    accounts = seeded_accounts(sandbox.database)

    @schema.hook("flatmap_path_parameters")
    def name_known_things(context: schemathesis.HookContext, parameters: Any
                          ) -> st.SearchStrategy:
        values = known.get(context.operation.path, {}) if context.operation else {}
        if not values or not isinstance(parameters, dict):
            return st.just(parameters)
        chosen = st.fixed_dictionaries({name: st.sampled_from(options)
                                        for name, options in values.items()})
        return st.one_of(st.just(parameters), chosen.map(lambda c: {**parameters, **c}))

    @schema.hook("flatmap_body")
    def file_some_requests(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
        """Half the filings with a form the city takes, the generated text fields kept, so
        that a filed request's answer is checked too."""
        operation = context.operation
        if operation is None or (operation.method.upper(), operation.path) != FILING or \
                not isinstance(body, dict):
            return st.just(body)
        kept = {key: value for key, value in body.items() if key not in CHECKED_FIELDS}
        return st.one_of(st.just(body), st.sampled_from(forms).map(lambda form: {**kept, **form}))

    @schema.hook("flatmap_case")
    def use_a_seeded_account(context: schemathesis.HookContext, case: schemathesis.Case
                             ) -> st.SearchStrategy:
        """Half the meter cases on a seeded account, always with its own flat (a wrong one is
        counted against the account, which then answers only 429), a reading a little above
        the last one."""
        if case.operation.path not in METERS:
            return st.just(case)
        return st.one_of(st.just(case), st.builds(
            on_account, st.just(case), st.sampled_from(accounts), st.floats(0, 40)))

    return schema


def on_account(case: schemathesis.Case, seeded: SeededAccount, step: float
               ) -> schemathesis.Case:
    case.path_parameters = {**case.path_parameters, "account": seeded.account}
    flat = {} if seeded.flat is None else {"flat": seeded.flat}
    if case.operation.method.upper() == "GET":
        case.query = {**case.query, **flat}
    else:
        case.body = {**flat, **{kind: round(value + step, 1)
                                for kind, value in seeded.last.items()}}
    return case


schema = schemathesis.pytest.from_fixture("city_schema").exclude(path=FAULTS_PATH)


@schema.parametrize()
def test_every_operation_answers_as_documented_and_never_with_a_5xx(case):
    case.call_and_validate(checks=CHECKS)
