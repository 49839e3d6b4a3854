"""The console's analytics: day tables kept by the indexer, the figures, the CSV and the page.

Conversations are saved with Rasa's own SQL tracker store (tests/unit/test_console_conversations)
and every figure is checked against what those conversations contain: Gleb greets on 30 April;
on 1 May Anna files a pothole report (rest), Boris falls back and asks for a person (telegram),
Vera's meter reading is confirmed but refused (webchat).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.console import analytics, charts
from bot.console.analytics import Period, PeriodError
from bot.console.index import delete_conversation, rebuild_index, refresh_index
from bot.store import Store
from bot.store.models import ConversationDay, ConversationIndex, IndexState, IntentDay
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    ANNA,
    act,
    at,
    bot,
    rasa_store,
    save,
    seeded,
    start,
    tracker,
    tracker_path,
    user,
)
from tests.unit.test_console_http import console, log_in  # noqa: F401

APR30, MAY1, MAY2 = date(2024, 4, 30), date(2024, 5, 1), date(2024, 5, 2)
BOTH = Period(APR30, MAY1)


async def indexed(rasa_store, tracker, store) -> None:  # noqa: F811
    await seeded(rasa_store)
    await refresh_index(tracker, store, tz="Europe/Moscow")


async def figures(store: Store, period: Period = BOTH) -> dict:
    return {
        "daily": [(r.day, r.channel, r.conversations, r.messages, r.fallbacks, r.handoffs)
                  for r in await analytics.daily(store, period)],
        "summary": await analytics.summary(store, period),
        "intents": await analytics.top_intents(store, period),
        "funnels": await analytics.funnels(store, period),
    }


# ---------------------------------------------------------------------------- the figures


async def test_figures_count_what_the_conversations_hold(rasa_store, tracker, store) -> None:  # noqa: F811
    await indexed(rasa_store, tracker, store)
    found = await figures(store)
    assert found["daily"] == [
        (APR30, "rest", 1, 1, 0, 0),
        (MAY1, "rest", 1, 2, 0, 0),
        (MAY1, "telegram", 1, 2, 1, 1),
        (MAY1, "webchat", 1, 2, 0, 0),
    ]
    s = found["summary"]
    assert (s.conversations, s.messages, s.fallbacks, s.handoffs) == (4, 7, 1, 1)
    assert (s.fallback_rate, s.handoff_rate, s.containment) == (0.25, 0.25, 0.75)
    assert s.median_turns == 2  # turns 1, 2, 2, 2
    assert found["intents"] == [
        ("affirm", 2), ("greet", 1), ("human_handoff", 1), ("nlu_fallback", 1),
        ("report_problem", 1), ("submit_meter_readings", 1),
    ]
    assert [(f.form, f.started, f.confirmed, f.filed) for f in found["funnels"]] == [
        ("problem_report_form", 1, 1, 1),
        ("meter_readings_form", 1, 1, 0),  # refused by the city: not filed
    ]


async def test_a_period_counts_only_its_days(rasa_store, tracker, store) -> None:  # noqa: F811
    await indexed(rasa_store, tracker, store)
    one_day = await figures(store, Period(APR30, APR30))
    assert one_day["daily"] == [(APR30, "rest", 1, 1, 0, 0)]
    assert one_day["intents"] == [("greet", 1)]
    assert one_day["funnels"] == []
    s = one_day["summary"]
    assert (s.conversations, s.median_turns, s.containment) == (1, 1, 1.0)
    empty = (await figures(store, Period(MAY2, MAY2)))["summary"]
    assert (empty.conversations, empty.messages, empty.median_turns) == (0, 0, None)
    assert empty.fallback_rate is None and empty.containment is None


async def test_days_follow_the_city_calendar(rasa_store, tracker, store) -> None:  # noqa: F811
    # 22:30 UTC on 30 April is 01:30 on 1 May in Moscow.
    late = datetime(2024, 4, 30, 22, 30, tzinfo=timezone.utc).timestamp()
    await save(rasa_store, "night", [*start(late), user("hello", "greet", 0.99, late)])
    await refresh_index(tracker, store, tz="Europe/Moscow")
    assert [(r.day, r.messages) for r in await analytics.daily(store, BOTH)] == [(MAY1, 1)]
    await rebuild_index(tracker, store, tz="UTC")
    assert [(r.day, r.messages) for r in await analytics.daily(store, BOTH)] == [(APR30, 1)]


async def test_a_conversation_over_two_days_counts_once_in_the_period(
    rasa_store, tracker, store  # noqa: F811
) -> None:
    await indexed(rasa_store, tracker, store)
    # Gleb comes back on 1 May (written after the first refresh: the day rows are updated).
    await save(rasa_store, "gleb", [user("hello again", "greet", 0.98, at(40)),
                                    bot("Hi!", at(40), response="utter_greet")])
    await refresh_index(tracker, store, tz="Europe/Moscow")
    found = await figures(store)
    assert (APR30, "rest", 1, 1, 0, 0) in found["daily"]
    assert (MAY1, "rest", 2, 3, 0, 0) in found["daily"]  # Anna 2 + Gleb 1
    assert (found["summary"].conversations, found["summary"].messages) == (4, 8)
    assert ("greet", 2) in found["intents"]


async def test_incremental_refreshes_add_up_to_a_rebuild(rasa_store, tracker, store) -> None:  # noqa: F811
    await seeded(rasa_store)
    # A batch boundary in the middle of conversations, and a turn's actions in the next batch.
    await refresh_index(tracker, store, batch_size=3, tz="Europe/Moscow")
    piecewise = await figures(store)
    await rebuild_index(tracker, store, tz="Europe/Moscow")
    assert await figures(store) == piecewise
    async with store.session() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationDay)) == 4
        assert await session.scalar(select(func.sum(IntentDay.messages))) == 7


async def test_deleting_a_conversation_removes_its_days(rasa_store, tracker, store) -> None:  # noqa: F811
    await indexed(rasa_store, tracker, store)
    await delete_conversation(tracker, store, "boris")
    found = await figures(store)
    assert found["summary"].conversations == 3 and found["summary"].fallbacks == 0
    assert "nlu_fallback" not in dict(found["intents"])
    async with store.session() as session:
        for model in (ConversationDay, IntentDay):
            assert await session.scalar(
                select(func.count()).select_from(model).where(model.sender_id == "boris")
            ) == 0


async def test_an_index_from_an_older_indexer_is_rebuilt(rasa_store, tracker, store) -> None:  # noqa: F811
    await seeded(rasa_store)
    async with store.session() as session:  # what the first indexer left: no day rows
        session.add(IndexState(key="tracker", last_event_id=10_000))
        session.add(ConversationIndex(sender_id="anna", started_at=datetime(2024, 5, 1),
                                      last_at=datetime(2024, 5, 1), last_event_id=10_000))
        await session.commit()
    await refresh_index(tracker, store, tz="Europe/Moscow")
    async with store.session() as session:
        assert await session.get(IndexState, "tracker") is None
    assert (await analytics.summary(store, BOTH)).conversations == 4


def test_reindex_command_rebuilds_the_days_in_the_city_zone(
    tmp_path, rasa_store, monkeypatch, capsys  # noqa: F811
) -> None:
    import asyncio

    late = datetime(2024, 4, 30, 22, 30, tzinfo=timezone.utc).timestamp()  # 1 May in Moscow

    async def days_after_reindex(zone: str) -> list[tuple[date, int]]:
        monkeypatch.setenv("CITYBOT_VAR_DIR", str(tmp_path))
        monkeypatch.setenv("CITYBOT_CITY_TIMEZONE", zone)
        assert await asyncio.to_thread(cli.main, ["reindex"]) == 0
        store = await Store(f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}").ready()
        try:
            return [(r.day, r.messages) for r in await analytics.daily(store, BOTH)]
        finally:
            await store.close()

    asyncio.run(save(rasa_store, "night", [*start(late), user("hello", "greet", 0.99, late)]))
    assert asyncio.run(days_after_reindex("UTC")) == [(APR30, 1)]
    assert "indexed 4 events (days in UTC)" in capsys.readouterr().err
    assert asyncio.run(days_after_reindex("Europe/Moscow")) == [(MAY1, 1)]


# ---------------------------------------------------------------------------- the period


def test_a_period_comes_from_the_query_or_is_the_last_30_days() -> None:
    today = date(2026, 11, 25)
    assert Period.from_query({}, today) == Period(date(2026, 10, 27), today)
    assert Period.from_query({"from": "2026-11-24", "to": "2026-11-24"}, today).days == [
        date(2026, 11, 24)
    ]
    assert Period.from_query({"from": "2026-11-01"}, today) == Period(date(2026, 11, 1), today)
    for query, why in (
        ({"from": "yesterday"}, "not a date"),
        ({"from": "2026-11-25", "to": "2026-11-01"}, "ends before it starts"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "at most 366 days"),
    ):
        with pytest.raises(PeriodError, match=why):
            Period.from_query(query, today)


# ---------------------------------------------------------------------------- CSV and charts


async def test_each_chart_has_its_numbers_as_csv(rasa_store, tracker, store) -> None:  # noqa: F811
    await indexed(rasa_store, tracker, store)

    found = await analytics.figures(store, BOTH)

    async def rows(chart: str) -> list[list[str]]:
        header, body = analytics.table(found, chart)
        return list(csv.reader(io.StringIO(analytics.to_csv(header, body))))

    assert await rows("conversations") == [
        ["day", "rest", "telegram", "webchat", "total"],
        ["2024-04-30", "1", "0", "0", "1"],
        ["2024-05-01", "1", "1", "1", "3"],
    ]
    assert (await rows("messages"))[2] == ["2024-05-01", "2", "2", "2", "6"]
    assert (await rows("rates"))[2] == ["2024-05-01", "3", "1", "0.3333", "1", "0.3333", "0.6667"]
    assert (await rows("intents"))[1] == ["affirm", "2", "0.2857"]
    assert (await rows("funnel"))[1:] == [
        ["problem_report_form", "report_problem", "1", "1", "1"],
        ["meter_readings_form", "submit_meter_readings", "1", "1", "0"],
    ]
    assert ["containment", "0.7500"] in await rows("summary")
    with pytest.raises(KeyError):
        analytics.table(found, "nope")


async def test_figures_are_kept_a_little_while_per_period(rasa_store, tracker, store) -> None:  # noqa: F811
    await indexed(rasa_store, tracker, store)
    now = [0.0]
    cache = analytics.FiguresCache(seconds=30, size=2, clock=lambda: now[0])
    first = await cache.get(store, BOTH)
    await delete_conversation(tracker, store, "boris")
    assert await cache.get(store, BOTH) is first  # within 30 s: the same figures
    now[0] = 31
    assert (await cache.get(store, BOTH)).summary.conversations == 3
    for period in (Period(APR30, APR30), Period(MAY1, MAY1)):  # pushes BOTH out (size 2)
        await cache.get(store, period)
    assert await cache.get(store, BOTH) is not first


def test_the_median_of_a_histogram() -> None:
    assert analytics.median_of([]) is None
    assert analytics.median_of([(1, 1)]) == 1
    assert analytics.median_of([(1, 2), (5, 2)]) == 3  # 1 1 5 5
    assert analytics.median_of([(1, 2), (2, 1), (9, 2)]) == 2  # 1 1 2 9 9
    assert analytics.median_of([(1, 3), (4, 1)]) == 1  # 1 1 1 4


def test_csv_cells_never_start_a_formula() -> None:
    text = analytics.to_csv(["name"], [["=HYPERLINK(\"x\")"], ["+1"], ["-2"], ["@a"], ["ok"]])
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == [
        "'=HYPERLINK(\"x\")", "'+1", "'-2", "'@a", "ok",
    ]


def test_chart_geometry_stays_in_its_box_and_ticks_are_round() -> None:
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(230) == [0, 50, 100, 150, 200, 250]
    assert charts.nice_ticks(0.34) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    assert charts.nice_ticks(0) == [0, 1]
    days = Period(date(2024, 3, 1), date(2024, 5, 29)).days  # 90 days: labels thinned out
    values = {(day, "rest"): n % 7 for n, day in enumerate(days)}
    values.update({(day, "telegram"): 3 for day in days})
    chart = charts.stacked_days(days, ["rest", "telegram"], values, "conversations")
    assert chart.marks and all(
        charts.PLOT_LEFT <= m.x and m.x + m.width <= chart.right + 0.01
        and chart.y_ticks[-1].at - 0.01 <= m.y and m.y + m.height <= chart.bottom + 0.01
        for m in chart.marks
    )
    assert len(chart.x_ticks) <= 10 and chart.x_ticks[-1].label == "29 May"
    # A day without conversations is a gap in a rate line, not a zero.
    lines = charts.rate_lines(days[:3], [("fallback", [(1, 4), (0, 0), (1, 2)])])
    assert [points.count(",") for _, _, points in lines.lines] == [1, 1]
    assert [p.title for p in lines.points] == ["1 Mar · fallback: 25% (1 of 4)",
                                               "3 Mar · fallback: 50% (1 of 2)"]


# ---------------------------------------------------------------------------- the page


async def test_the_page_draws_the_figures_and_offers_csv(console, rasa_store) -> None:  # noqa: F811
    await seeded(rasa_store)
    assert (await log_in(console, "rita")).status == 302
    resp = await console.get("/analytics?from=2024-04-30&to=2024-05-01")
    assert resp.status == 200
    page = await resp.text()
    kpis = re.findall(r'class="kpi-value">([^<]*)<', page)
    assert kpis == ["4", "25.0%", "25.0%", "75.0%", "2"]
    assert page.count("<svg") == 6  # 3 day charts, top intents, 2 funnels
    assert "1 May · telegram: 1 conversations (of 3)" in page
    assert "meter_readings_form" in page and "filed: 0 of 1 (0%)" in page
    assert "/conversations?from=2024-04-30&amp;to=2024-05-01&amp;fallback=yes" in page
    assert 'href="/analytics/intents.csv?from=2024-04-30&amp;to=2024-05-01"' in page
    assert " style=" not in page  # the CSP allows no inline styles

    resp = await console.get("/analytics/conversations.csv?from=2024-04-30&to=2024-05-01")
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="citybot-conversations-2024-04-30-2024-05-01.csv"'
    )
    assert (await resp.text()).splitlines()[2] == "2024-05-01,1,1,1,3"


async def test_a_bad_period_gets_a_clear_answer_not_an_error(console, rasa_store) -> None:  # noqa: F811
    await seeded(rasa_store)
    assert (await log_in(console, "rita")).status == 302
    resp = await console.get("/analytics?from=2024-05-01&to=2024-04-01")
    assert resp.status == 400
    page = await resp.text()
    assert "The period ends before it starts." in page and "<svg" in page
    resp = await console.get("/analytics/messages.csv?from=soon")
    assert resp.status == 400 and "is not a date" in await resp.text()
    assert (await console.get("/analytics/passwords.csv")).status == 404
    empty = await (await console.get("/analytics?from=2020-01-01&to=2020-01-07")).text()
    assert "No conversations in this period." in empty
    assert "No service form was started in this period." in empty


async def test_analytics_needs_a_session(console) -> None:  # noqa: F811
    for path in ("/analytics", "/analytics/summary.csv"):
        resp = await console.get(path, allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"].startswith("/login"), path


async def test_fines_count_as_used_once_the_city_answered(rasa_store, tracker, store) -> None:  # noqa: F811
    """A lookup form confirms and files nothing: the fines shown are both steps of its funnel,
    and a citizen who then leaves at the keeping question has had the whole service."""
    from rasa.shared.core.events import ActiveLoop, SlotSet

    def fines(sender_at: float, shown: bool) -> list:
        return [
            *start(at(sender_at)),
            user("any fines on my car", "check_fines", 0.95, at(sender_at + 1)),
            act("fines_form", at(sender_at + 1.1)),
            ActiveLoop("fines_form", timestamp=at(sender_at + 1.1)),
            act("action_listen", at(sender_at + 1.2)),
            user("77 ув 123456", "inform", 0.9, at(sender_at + 2)),
            act("fines_form", at(sender_at + 2.1)),
            SlotSet("fines_outcome", "shown" if shown else "failed", timestamp=at(sender_at + 2.1)),
            act("action_listen", at(sender_at + 2.2)),
            user("stop", "stop", 0.99, at(sender_at + 3)),
            act("action_stop_form", at(sender_at + 3.1)),
            ActiveLoop(None, timestamp=at(sender_at + 3.1)),
            act("action_listen", at(sender_at + 3.2)),
        ]

    await save(rasa_store, "fedor", fines(30, shown=True))
    await save(rasa_store, "galina", fines(40, shown=False))
    await refresh_index(tracker, store, tz="Europe/Moscow")
    found = await figures(store)
    assert ("fines_form", 2, None, 1) in [(f.form, f.started, f.confirmed, f.filed)
                                       for f in found["funnels"]]


async def test_notifications_count_apart_from_what_citizens_wrote(rasa_store, tracker, store) -> None:  # noqa: F811
    """A notification (the notifier's external event) is counted as one sent, by kind; it is no
    citizen message, no intent they used, and no day on which they used the assistant."""
    from rasa.shared.core.events import UserUttered

    def notified(when: float, intent: str) -> list:
        sent = UserUttered.create_external(
            intent, [{"entity": "notification_id", "value": f"n{when}"}], "telegram")
        sent.timestamp = at(when)
        return [sent,
                act("action_notify", at(when + 0.1)),
                bot("Hot water will be off at your address", at(when + 0.2)),
                act("action_listen", at(when + 0.3))]

    events = [*start(at(50)), *notified(51, "EXTERNAL_outage_planned"),
              *notified(52, "EXTERNAL_outage_planned"), *notified(53, "EXTERNAL_fine_issued")]
    await save(rasa_store, "nina", events)
    await refresh_index(tracker, store, tz="Europe/Moscow")
    before = await figures(store)
    assert await analytics.notifications(store, BOTH) == [
        ("EXTERNAL_outage_planned", 2), ("EXTERNAL_fine_issued", 1)]
    assert not [i for i, _ in before["intents"] if i.startswith("EXTERNAL_")]
    summary = before["summary"]
    assert (summary.conversations, summary.messages) == (0, 0)  # Nina only received
    header, rows = analytics.table(await analytics.figures(store, BOTH), "notifications")
    assert (header, rows) == (["intent", "sent"], [["EXTERNAL_outage_planned", 2],
                                                   ["EXTERNAL_fine_issued", 1]])
