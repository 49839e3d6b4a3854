"""The app database's tables, created by whichever process starts first."""

from __future__ import annotations

import asyncio

from bot.store import Store


async def test_stores_creating_the_schema_at_the_same_moment_all_succeed(tmp_path) -> None:
    # `make up` starts the action server, Rasa's Telegram channel and the console together.
    for run in range(3):
        url = f"sqlite+aiosqlite:///{tmp_path}/app{run}.db"
        stores = [Store(url) for _ in range(3)]
        try:
            await asyncio.gather(*(store.ready() for store in stores))
        finally:
            for store in stores:
                await store.close()
