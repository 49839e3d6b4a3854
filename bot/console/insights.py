"""The analytics page (/analytics) and the CSV behind each of its charts, for all languages or
one (``language``)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.console import analytics, charts
from bot.console.analytics import Period, PeriodError
from bot.console.conversations import language_choice
from bot.console.pages import render
from bot.console.state import SETTINGS, STORE
from bot.console.views import index_now

routes = web.RouteTableDef()
FIGURES = web.AppKey("analytics_figures", analytics.FiguresCache)


def _period(request: web.Request) -> Period:
    return Period.from_query(request.query, request.app[SETTINGS].city_today())


def _language(request: web.Request) -> str | None:
    return language_choice(request.query.get("language"))


@routes.get("/analytics")
async def page(request: web.Request) -> web.Response:
    today = request.app[SETTINGS].city_today()
    status, problem = 200, None
    try:
        period = _period(request)
    except PeriodError as exc:
        status, problem = 400, str(exc)
        period = Period.ending(today, analytics.DEFAULT_DAYS)
    language = _language(request)
    await index_now(request)
    found = await request.app[FIGURES].get(request.app[STORE], period, language)
    rows, summary = found.daily, found.summary
    days = period.days
    channels = sorted({row.channel or "unknown" for row in rows})
    conversations = {(r.day, r.channel or "unknown"): r.conversations for r in rows}
    messages = {(r.day, r.channel or "unknown"): r.messages for r in rows}
    rates = analytics.rates_by_day(rows, period)
    funnels = [
        (f, charts.funnel_bars(f.started, [("started", f.started), ("confirmed", f.confirmed),
                                           ("filed", f.filed)]))
        for f in found.funnels
    ]
    presets = [
        (label, Period.ending(today - timedelta(days=back), n))
        for label, n, back in analytics.PRESETS
    ]
    chosen = {"language": language} if language else {}
    query = {**period.query(), **chosen}
    spoken = [code for code, _ in found.languages]
    return render(request, "analytics.html", {
        "period": period,
        "problem": problem,
        "summary": summary,
        "language": language,
        "language_choices": spoken + ([language] if language and language not in spoken else []),
        "languages": [
            (code, s, f"/analytics?{urlencode({**period.query(), 'language': code})}",
             f"/conversations?{urlencode({**period.query(), 'language': code})}")
            for code, s in found.languages
        ],
        "presets": [(label, p, f"/analytics?{urlencode({**p.query(), **chosen})}")
                    for label, p in presets],
        "csv": lambda chart: f"/analytics/{chart}.csv?{urlencode(query)}",
        "list_url": lambda **flags: f"/conversations?{urlencode({**query, **flags})}",
        "conversations_chart": charts.stacked_days(days, channels, conversations, "conversations"),
        "messages_chart": charts.stacked_days(days, channels, messages, "messages"),
        "rates_chart": charts.rate_lines(days, [
            ("fallback", [(f, n) for _, n, f, _ in rates]),
            ("handoff", [(h, n) for _, n, _, h in rates]),
        ]),
        "intent_bars": charts.bars(found.intents[:analytics.TOP_INTENTS], whole=summary.messages),
        "notification_bars": charts.bars(found.notifications),
        "funnels": funnels,
        "poll_bars": charts.bars([(f"Poll {poll}", votes) for poll, votes in found.polls]),
    }, status=status)


@routes.get("/analytics/{chart}.csv")
async def csv_download(request: web.Request) -> web.Response:
    chart = request.match_info["chart"]
    if chart not in analytics.CHARTS:
        raise web.HTTPNotFound()
    try:
        period = _period(request)
    except PeriodError as exc:
        error = web.HTTPBadRequest()
        error.detail = str(exc)
        raise error from None
    language = _language(request)
    await index_now(request)
    found = await request.app[FIGURES].get(request.app[STORE], period, language)
    header, rows = analytics.table(found, chart)
    which = f"{chart}-{language}" if language and chart != "languages" else chart
    name = f"citybot-{which}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return web.Response(
        body=analytics.to_csv(header, rows).encode(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
