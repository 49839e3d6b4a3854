"""The Telegram ledger: each update and each question's keyboard once, also after a restart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.store import Store
from bot.store.models import utcnow
from connectors.telegram_store import CALLBACK_DATA_BYTES, TelegramLedger


async def test_an_update_is_claimed_once(store: Store):
    ledger = TelegramLedger(store, bot_id=1001)
    assert await ledger.claim_update(7) is True
    assert await ledger.claim_update(7) is False
    assert await ledger.claim_update(8) is True


async def test_update_ids_of_two_bots_do_not_collide(store: Store):
    assert await TelegramLedger(store, bot_id=1).claim_update(7) is True
    assert await TelegramLedger(store, bot_id=2).claim_update(7) is True


async def test_a_handled_update_stays_handled_after_a_restart(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path}/app.db"
    first = await Store(url).ready()
    assert await TelegramLedger(first, bot_id=1001).claim_update(42) is True
    await first.close()

    restarted = await Store(url).ready()
    try:
        assert await TelegramLedger(restarted, bot_id=1001).claim_update(42) is False
    finally:
        await restarted.close()


async def test_a_keyboard_is_answered_once(store: Store):
    ledger = TelegramLedger(store, bot_id=1001)
    assert await ledger.claim_keyboard(chat_id=5, message_id=10) is True
    assert await ledger.claim_keyboard(chat_id=5, message_id=10) is False
    assert await ledger.claim_keyboard(chat_id=6, message_id=10) is True


async def test_old_claims_are_pruned_but_recent_ones_kept(store: Store):
    ledger = TelegramLedger(store, bot_id=1001)
    await ledger.claim_update(1)
    assert await ledger.prune(now=utcnow()) == 0
    assert await ledger.prune(now=utcnow() + timedelta(days=8)) == 1
    assert await ledger.claim_update(1) is True


async def test_a_short_payload_is_its_own_callback_data(store: Store):
    ledger = TelegramLedger(store, bot_id=1001)
    assert await ledger.callback_data("/affirm") == "/affirm"
    assert await ledger.payload("/affirm") == "/affirm"


async def test_a_payload_longer_than_64_bytes_travels_under_a_short_key(store: Store):
    ledger = TelegramLedger(store, bot_id=1001)
    payload = '/inform{"address": "Улица Большая Полянка, дом 35, корпус 2"}'
    assert len(payload.encode()) > CALLBACK_DATA_BYTES
    data = await ledger.callback_data(payload)
    assert len(data.encode()) <= CALLBACK_DATA_BYTES
    assert await ledger.callback_data(payload) == data  # the same payload, the same key
    assert await ledger.payload(data) == payload
    assert await ledger.payload("#unknown") is None
