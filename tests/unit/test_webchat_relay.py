"""connectors.webchat_relay on the machine's Redis: a frame one server sends reaches the
sockets another server holds, in order, and never comes back to its own server."""

from __future__ import annotations

import asyncio

from connectors.webchat_relay import Relay

REDIS = "redis://127.0.0.1:6379/7"


class Sockets:
    """What a server's hub delivered, by conversation."""

    def __init__(self) -> None:
        self.got: dict[str, list[dict]] = {}
        self.arrived = asyncio.Event()

    async def __call__(self, sender: str, frame: dict) -> int:
        self.got.setdefault(sender, []).append(frame)
        self.arrived.set()
        return 1


async def test_frames_reach_the_other_server_in_order_and_not_their_own() -> None:
    here, there = Sockets(), Sockets()
    one, two = Relay(REDIS, here), Relay(REDIS, there)
    await one.start()
    await two.start()
    try:
        await asyncio.wait_for(asyncio.gather(one.subscribed.wait(), two.subscribed.wait()), 5)
        frames = [{"type": "bot_uttered", "text": f"message {n}"} for n in range(50)]
        for frame in frames:
            await one.publish("anna", frame)
        await two.publish("boris", {"type": "typing", "on": True})
        for _ in range(200):
            if len(there.got.get("anna", [])) == 50 and here.got.get("boris"):
                break
            await asyncio.sleep(0.02)
        assert there.got["anna"] == frames
        assert "anna" not in here.got and "boris" not in there.got
        assert here.got["boris"] == [{"type": "typing", "on": True}]
    finally:
        await one.stop()
        await two.stop()


async def test_a_message_that_is_not_a_frame_is_ignored() -> None:
    sockets = Sockets()
    relay = Relay(REDIS, sockets)
    await relay.start()
    try:
        await asyncio.wait_for(relay.subscribed.wait(), 5)
        await relay._received(b"not json")
        await relay._received(b'{"o": "x"}')
        await relay._received(b'{"o": "x", "s": 5, "f": {}}')
        assert sockets.got == {}
    finally:
        await relay.stop()
