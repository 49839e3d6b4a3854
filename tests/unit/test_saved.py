"""Details kept for next time only with consent: one per kind, replaced, and gone with forget_me."""

from __future__ import annotations

import asyncio

from bot.filing import forget_sender
from bot.saved import VEHICLE_CERTIFICATE, drop, keep, saved


async def test_a_kept_detail_is_read_back_for_its_citizen_only(store):
    await keep(store, "anna", VEHICLE_CERTIFICATE, "77УВ123456")
    assert await saved(store, "anna", VEHICLE_CERTIFICATE) == "77УВ123456"
    assert await saved(store, "boris", VEHICLE_CERTIFICATE) is None
    assert await saved(store, "anna", "other_kind") is None


async def test_keeping_again_replaces_the_value(store):
    await keep(store, "vera", VEHICLE_CERTIFICATE, "77УВ123456")
    await keep(store, "vera", VEHICLE_CERTIFICATE, "50КА765432")
    assert await saved(store, "vera", VEHICLE_CERTIFICATE) == "50КА765432"


async def test_two_first_saves_at_once_leave_one_row(store):
    await asyncio.gather(*(keep(store, "gleb", VEHICLE_CERTIFICATE, f"77УВ00000{i}")
                           for i in range(4)))
    assert (await saved(store, "gleb", VEHICLE_CERTIFICATE)).startswith("77УВ00000")
    assert await drop(store, "gleb", VEHICLE_CERTIFICATE) is True
    assert await saved(store, "gleb", VEHICLE_CERTIFICATE) is None
    assert await drop(store, "gleb", VEHICLE_CERTIFICATE) is False


async def test_forget_me_deletes_kept_details(store):
    await keep(store, "dina", VEHICLE_CERTIFICATE, "77УВ123456")
    await keep(store, "egor", VEHICLE_CERTIFICATE, "77УВ654321")
    await forget_sender(store, "dina")
    assert await saved(store, "dina", VEHICLE_CERTIFICATE) is None
    assert await saved(store, "egor", VEHICLE_CERTIFICATE) == "77УВ654321"
