"""``python -m bot.notify`` as the supervisor will see it: a health route, the loop started with
the app and stopped with it."""

from __future__ import annotations

from bot.config import Settings
from bot.notify.app import NOTIFIER, make_app
from bot.notify.settings import NotifySettings


async def test_the_process_answers_health_and_owns_its_notifier(aiohttp_client, settings: Settings):
    app = make_app(settings, NotifySettings(poll_seconds=3600))
    client = await aiohttp_client(app)
    resp = await client.get("/health")
    assert resp.status == 200 and (await resp.json())["status"] == "ok"
    notifier = app[NOTIFIER]
    assert notifier.running  # started with the app
    await client.close()
    assert not notifier.running  # and stopped with it


def test_notifier_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CITYBOT_NOTIFY_DAILY_CAP", "3")
    monkeypatch.setenv("CITYBOT_NOTIFY_QUIET_HOURS", "23:00-07:30")
    notify = NotifySettings()
    assert notify.daily_cap == 3
    assert [t.isoformat("minutes") for t in notify.quiet_hours] == ["23:00", "07:30"]
    monkeypatch.delenv("CITYBOT_NOTIFY_DAILY_CAP")
    assert NotifySettings().daily_cap == 5
