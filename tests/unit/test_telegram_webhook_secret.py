"""The Telegram webhook never takes an update without its secret, also when none is configured
(issue 13: before, in webhook mode with no TELEGRAM_SECRET_TOKEN every POST was accepted)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.config import Settings
from connectors.telegram import SECRET_HEADER, TelegramInput, webhook_secret

WEBHOOK = "https://city.example/webhooks/telegram/webhook"


def _webhook_channel(tmp_path: Path, secret: str = "") -> TelegramInput:
    return TelegramInput(Settings(var_dir=tmp_path, telegram_token="1:abc",
                                  telegram_webhook_url=WEBHOOK, telegram_secret_token=secret))


def test_with_no_secret_configured_one_is_made_and_kept(tmp_path):
    made = webhook_secret(Settings(var_dir=tmp_path, telegram_webhook_url=WEBHOOK))
    # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -
    assert 32 <= len(made) <= 256 and made.replace("_", "").replace("-", "").isalnum()
    assert webhook_secret(Settings(var_dir=tmp_path, telegram_webhook_url=WEBHOOK)) == made
    assert (tmp_path / "telegram_secret_token").stat().st_mode & 0o077 == 0
    configured = Settings(var_dir=tmp_path, telegram_webhook_url=WEBHOOK,
                          telegram_secret_token="set-by-the-operator")
    assert webhook_secret(configured) == "set-by-the-operator"


@pytest.mark.parametrize("secret", ["", "set-by-the-operator"])
@pytest.mark.parametrize("header", [None, "", "guessed-wrong"])
async def test_an_update_without_the_secret_is_refused(tmp_path, secret, header):
    channel = _webhook_channel(tmp_path, secret)
    headers = {} if header is None else {SECRET_HEADER: header}
    request = SimpleNamespace(headers=headers, json={"update_id": 1})
    answer = await channel._webhook(request)  # noqa: SLF001 - the handler behind the route
    assert answer.status == 403


async def test_an_update_with_the_kept_secret_gets_past_the_check(tmp_path):
    channel = _webhook_channel(tmp_path)
    request = SimpleNamespace(headers={SECRET_HEADER: webhook_secret(channel.settings)},
                              json={"update_id": 1})
    answer = await channel._webhook(request)  # noqa: SLF001
    assert answer.status == 503  # past the secret; the channel has not started yet
