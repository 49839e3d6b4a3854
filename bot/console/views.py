"""The console's pages for everyone logged in: the conversations list and a transcript."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.console import conversations as convs
from bot.console import corrections
from bot.console.audit import audit
from bot.console.folding import LOW_CONFIDENCE
from bot.console.index import delete_conversation, refresh_index
from bot.console.pages import render
from bot.console.privacy import mask_pii
from bot.console.security import HOME, current_staff, form_text, read_form, require_role
from bot.console.state import SETTINGS, STORE, TRACKER
from bot.console.transcript import mask_turns, transcript

routes = web.RouteTableDef()

PER_PAGE = 50
REVIEWERS = ("reviewer", "admin")
# The list's query parameters (ConversationFilters.from_query), kept across pages.
FILTER_KEYS = ("q", "channel", "language", "from", "to", "intent", "confidence", "fallback",
               "handoff", "reviewed", "tag")


@routes.get("/")
async def home(_: web.Request) -> web.Response:
    """Straight to the list (the session middleware already sent anyone else to /login)."""
    raise web.HTTPFound(HOME)


def _page_number(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 100_000))
    except ValueError:
        return 1


def quick_views(today: date, low: float) -> list[tuple[str, dict[str, str]]]:
    """The filters a reviewer starts a day with, as links above the list."""
    yesterday = (today - timedelta(days=1)).isoformat()
    return [
        ("Today", {"from": today.isoformat(), "to": today.isoformat()}),
        ("Yesterday", {"from": yesterday, "to": yesterday}),
        ("Fell back yesterday", {"from": yesterday, "to": yesterday, "fallback": "yes"}),
        ("Low confidence, not reviewed", {"confidence": str(low), "reviewed": "no"}),
        ("Handed off", {"handoff": "yes"}),
    ]


async def index_now(request: web.Request) -> None:
    """Whatever the tracker gained since the background refresh (one batch, a few ms)."""
    await refresh_index(request.app[TRACKER], request.app[STORE], max_batches=1,
                              tz=request.app[SETTINGS].city_timezone)


@routes.get("/conversations")
async def conversation_list(request: web.Request) -> web.Response:
    """Newest first, filtered and paginated in SQL; personal data masked."""
    store, settings = request.app[STORE], request.app[SETTINGS]
    await index_now(request)
    filters = convs.ConversationFilters.from_query(request.query, tz=settings.city_timezone)
    page = await convs.list_conversations(store, filters, _page_number(request), PER_PAGE)
    kept = {k: request.query[k] for k in FILTER_KEYS if request.query.get(k, "").strip()}
    for row in page.rows:
        row.first_message = mask_pii(row.first_message)
    return render(request, "conversations.html", {
        "page": page,
        "query": kept,
        "choices": await convs.filter_choices(store),
        "page_url": lambda n: f"/conversations?{urlencode({**kept, 'page': n})}",
        "quick_views": [
            (label, f"/conversations?{urlencode(query)}", query == kept)
            for label, query in quick_views(settings.city_today(), LOW_CONFIDENCE)
        ],
        "low_confidence": LOW_CONFIDENCE,
        "pending_corrections": await corrections.pending_by_language(store),
        "can_review": current_staff(request).role in REVIEWERS,
        "deleted": request.query.get("deleted") == "1",
    })


@routes.get("/conversations/{sender_id}")
async def conversation(request: web.Request) -> web.Response:
    """Every turn in order, with what the assistant understood; an admin may reveal."""
    store, staff = request.app[STORE], current_staff(request)
    sender_id = request.match_info["sender_id"]
    await index_now(request)
    row = await convs.get_conversation(store, sender_id)
    if row is None:
        raise web.HTTPNotFound(text="No such conversation.")
    reveal = request.query.get("reveal") == "1" and staff.role == "admin"
    turns = await transcript(request.app[TRACKER], sender_id)
    if reveal:
        await audit(store, staff, "revealed", sender_id)
    else:
        turns = mask_turns(turns)
        row.first_message = mask_pii(row.first_message)
    await audit(store, staff, "viewed", sender_id)
    return render(request, "conversation.html", {
        "row": row,
        "turns": turns,
        "review": await convs.get_review(store, sender_id),
        "revealed": reveal,
        "can_review": staff.role in REVIEWERS,
        "can_reveal": staff.role == "admin",
        "can_delete": staff.role == "admin",
        "corrections": await corrections.for_conversation(store, sender_id),
        "intents": corrections.known_intents(),
        # Corrections are made on the masked text: personal data never becomes training data.
        "example_of": lambda turn: corrections.annotate(
            mask_pii(turn.text or ""), turn.entities),
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


def bad_request(detail: str) -> web.HTTPBadRequest:
    error = web.HTTPBadRequest()
    error.detail = detail  # shown on the error page
    return error


@routes.post("/conversations/{sender_id}/correct")
async def correct(request: web.Request) -> web.Response:
    """The intent (and entities) a citizen message should have had (reviewers and admins)."""
    staff = require_role(request, *REVIEWERS)
    store = request.app[STORE]
    sender_id = request.match_info["sender_id"]
    form = await read_form(request)
    try:
        event_id = int(str(form.get("event_id", "")))
    except ValueError:
        raise bad_request("Which message is corrected?") from None
    turns = await transcript(request.app[TRACKER], sender_id)
    turn = next((t for t in turns if t.kind == "user" and t.event_id == event_id), None)
    if turn is None:
        raise web.HTTPNotFound(text="No such message.")
    try:
        saved = await corrections.save(
            store, sender_id=sender_id, event_id=event_id, text=mask_pii(turn.text or ""),
            predicted=turn.intent, intent=str(form.get("intent", "")),
            example=str(form.get("example", "")), by=staff.name, language=turn.language,
        )
    except corrections.CorrectionError as exc:
        raise bad_request(str(exc)) from None
    await audit(store, staff, "corrected", sender_id,
                {"event_id": event_id, "from": turn.intent, "to": saved.intent,
                 "language": saved.language})
    raise web.HTTPSeeOther(f"/conversations/{sender_id}#turn-{event_id}")


@routes.post("/conversations/{sender_id}/delete")
async def delete(request: web.Request) -> web.Response:
    """Delete a conversation from Rasa's tracker store and every console table (admins)."""
    staff = require_role(request, "admin")
    store = request.app[STORE]
    sender_id = request.match_info["sender_id"]
    if await convs.get_conversation(store, sender_id) is None:
        raise web.HTTPNotFound(text="No such conversation.")
    form = await read_form(request)
    if form.get("confirm") != "1":
        raise bad_request('Tick "I understand this cannot be undone" to delete.')
    events = await delete_conversation(request.app[TRACKER], store, sender_id)
    # The audit log keeps the conversation's id (never what was said): who deleted which.
    await audit(store, staff, "deleted", sender_id, {"events": events})
    raise web.HTTPSeeOther("/conversations?deleted=1")


@routes.post("/corrections/export")
async def export_corrections(request: web.Request) -> web.Response:
    """Download one language's pending corrections as NLU training data for that language's
    files; they count as exported."""
    staff = require_role(request, *REVIEWERS)
    store = request.app[STORE]
    language = form_text(await read_form(request), "language")
    try:
        text, count = await corrections.export(store, language)
    except corrections.CorrectionError as exc:
        raise bad_request(str(exc)) from None
    await audit(store, staff, "exported", "corrections", {"count": count, "language": language})
    name = corrections.file_name(language)
    return web.Response(
        text=text, content_type="application/x-yaml", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
