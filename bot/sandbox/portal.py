"""The demo city portal: the official FAQ texts the assistant's curated answers link to.

Each topic is ``<portal_dir>/<topic>.md``: a first line ``# Title``, then paragraphs
(``## `` for a subheading) and ``- `` bullet lists. Everything is escaped; http(s) URLs
become links.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from aiohttp import web

from bot.sandbox.state import CONFIG

TOPIC = re.compile(r"^[a-z0-9_]+$")
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
STYLE = ("body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;"
         "padding:0 1rem;line-height:1.5;color:#1b1b1b}a{color:#0b57d0}")
routes = web.RouteTableDef()


def inline(text: str) -> str:
    """Escape text and turn its http(s) URLs into links."""
    parts, last = [], 0
    for match in URL.finditer(text):
        url = html.escape(match.group(0))
        parts += [html.escape(text[last:match.start()]), f'<a href="{url}">{url}</a>']
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def render_topic(text: str, fallback_title: str) -> tuple[str, str]:
    """(title, body HTML) of one topic file."""
    lines = text.splitlines()
    title = fallback_title
    if lines and lines[0].startswith("# "):
        title, lines = lines[0][2:].strip(), lines[1:]
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in lines:
        line = raw.strip()
        if line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:].strip())
        elif line.startswith("## "):
            flush()
            out.append(f"<h2>{inline(line[3:].strip())}</h2>")
        elif not line:
            flush()
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return title, "\n".join(out)


def page(title: str, body: str, status: int = 200) -> web.Response:
    document = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · City portal</title><style>{STYLE}</style></head>"
        '<body><header><a href="/portal/faq">City portal: frequently asked questions</a>'
        f"</header><main><h1>{html.escape(title)}</h1>\n{body}\n</main></body></html>\n"
    )
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8")


def _titles(directory: Path) -> list[tuple[str, str]]:
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.md")):
        if TOPIC.match(path.stem):
            first = path.read_text(encoding="utf-8").partition("\n")[0]
            found.append((path.stem, first[2:].strip() if first.startswith("# ") else path.stem))
    return found


@routes.get("/portal/faq")
async def faq_index(request: web.Request) -> web.Response:
    """Every FAQ topic, with its title."""
    topics = await asyncio.to_thread(_titles, request.app[CONFIG].portal_dir)
    items = "".join(f'<li><a href="/portal/faq/{topic}">{html.escape(title)}</a></li>'
                    for topic, title in topics)
    return page("Frequently asked questions", f"<ul>{items}</ul>" if items else
                "<p>No topics yet.</p>")


def _search(directory: Path, query: str) -> list[tuple[str, str]]:
    """Topics whose text has every word of the query (at least three letters), best first."""
    words = [w for w in re.findall(r"\w{3,}", query.lower())]
    if not words or not directory.is_dir():
        return []
    hits = []
    for topic, title in _titles(directory):
        text = (directory / f"{topic}.md").read_text(encoding="utf-8").lower()
        found = sum(w in text for w in words)
        if found == len(words):
            hits.append((-sum(text.count(w) for w in words), topic, title))
    return [(topic, title) for _, topic, title in sorted(hits)]


@routes.get("/portal/search")
async def search(request: web.Request) -> web.Response:
    """The portal's search: the FAQ topics that mention every word asked."""
    query = request.query.get("q", "")[:200]
    found = await asyncio.to_thread(_search, request.app[CONFIG].portal_dir, query)
    form = ('<form action="/portal/search"><label>Search the portal '
            f'<input name="q" value="{html.escape(query)}"></label> <button>Search</button></form>')
    items = "".join(f'<li><a href="/portal/faq/{topic}">{html.escape(title)}</a></li>'
                    for topic, title in found)
    body = f"<ul>{items}</ul>" if items else ("<p>Nothing found.</p>" if query else "")
    return page("Search", form + body)


@routes.get("/portal/faq/{topic}")
async def faq_topic(request: web.Request) -> web.Response:
    """The official text of one FAQ topic."""
    topic = request.match_info["topic"]
    path = request.app[CONFIG].portal_dir / f"{topic}.md"
    if not TOPIC.match(topic) or not await asyncio.to_thread(path.is_file):
        return page("Page not found", '<p>There is no such topic. See <a href="/portal/faq">'
                    "all questions</a>.</p>", status=404)
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    title, body = render_topic(text, topic)
    return page(title, body)
