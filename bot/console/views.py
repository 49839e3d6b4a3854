"""The console's pages for everyone logged in: the conversations list and a transcript."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.console import conversations as convs
from bot.console.audit import audit
from bot.console.pages import render
from bot.console.security import HOME, current_staff, read_form, require_role
from bot.console.state import SETTINGS, STORE, TRACKER

routes = web.RouteTableDef()

PER_PAGE = 50
REVIEWERS = ("reviewer", "admin")
# The list's query parameters (ConversationFilters.from_query), kept across pages.
FILTER_KEYS = ("q", "channel", "from", "to", "intent", "confidence", "fallback", "handoff",
               "reviewed", "tag")


@routes.get("/")
async def home(_: web.Request) -> web.Response:
    """Straight to the list (the session middleware already sent anyone else to /login)."""
    raise web.HTTPFound(HOME)


def _page_number(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 100_000))
    except ValueError:
        return 1


@routes.get("/conversations")
async def conversation_list(request: web.Request) -> web.Response:
    """Newest first, filtered and paginated in SQL; personal data masked."""
    store, settings = request.app[STORE], request.app[SETTINGS]
    # Whatever the tracker gained since the background refresh (one batch, a few ms).
    await convs.refresh_index(request.app[TRACKER], store, max_batches=1)
    filters = convs.ConversationFilters.from_query(request.query, tz=settings.city_timezone)
    page = await convs.list_conversations(store, filters, _page_number(request), PER_PAGE)
    kept = {k: request.query[k] for k in FILTER_KEYS if request.query.get(k, "").strip()}
    for row in page.rows:
        row.first_message = convs.mask_pii(row.first_message)
    return render(request, "conversations.html", {
        "page": page,
        "query": kept,
        "choices": await convs.filter_choices(store),
        "page_url": lambda n: f"/conversations?{urlencode({**kept, 'page': n})}",
        "low_confidence": convs.LOW_CONFIDENCE,
    })


@routes.get("/conversations/{sender_id}")
async def conversation(request: web.Request) -> web.Response:
    """Every turn in order, with what the assistant understood; an admin may reveal."""
    store, staff = request.app[STORE], current_staff(request)
    sender_id = request.match_info["sender_id"]
    await convs.refresh_index(request.app[TRACKER], store, max_batches=1)
    row = await convs.get_conversation(store, sender_id)
    if row is None:
        raise web.HTTPNotFound(text="No such conversation.")
    reveal = request.query.get("reveal") == "1" and staff.role == "admin"
    turns = await convs.transcript(request.app[TRACKER], sender_id)
    if reveal:
        await audit(store, staff, "revealed", sender_id)
    else:
        turns = convs.mask_turns(turns)
        row.first_message = convs.mask_pii(row.first_message)
    await audit(store, staff, "viewed", sender_id)
    return render(request, "conversation.html", {
        "row": row,
        "turns": turns,
        "review": await convs.get_review(store, sender_id),
        "revealed": reveal,
        "can_review": staff.role in REVIEWERS,
        "can_reveal": staff.role == "admin",
    })


@routes.post("/conversations/{sender_id}/review")
async def review(request: web.Request) -> web.Response:
    """Mark reviewed, tags and a note (reviewers and admins)."""
    staff = require_role(request, *REVIEWERS)
    store = request.app[STORE]
    sender_id = request.match_info["sender_id"]
    if await convs.get_conversation(store, sender_id) is None:
        raise web.HTTPNotFound(text="No such conversation.")
    form = await read_form(request)
    saved = await convs.save_review(
        store, sender_id, by=staff.name,
        reviewed=form.get("reviewed") == "1",
        note=str(form.get("note", ""))[:5000],
        tags=str(form.get("tags", ""))[:500],
    )
    await audit(store, staff, "reviewed", sender_id,
                {"reviewed": saved.reviewed, "tags": saved.tags})
    raise web.HTTPSeeOther(f"/conversations/{sender_id}")
