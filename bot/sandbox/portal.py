"""The demo city portal: the official FAQ texts the assistant's curated answers link to.

Each topic is ``<portal_dir>/<topic>.md``, its Russian text ``<portal_dir>/ru/<topic>.md``:
a first line ``# Title``, then paragraphs (``## `` for a subheading) and ``- `` bullet lists.
Everything is escaped; http(s) URLs become links. English pages are under ``/portal``,
Russian ones under ``/portal/ru``; each page's header links to the other language.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.sandbox.state import CONFIG

TOPIC = re.compile(r"^[a-z0-9_]+$")
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
STYLE = ("body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;"
         "padding:0 1rem;line-height:1.5;color:#1b1b1b}a{color:#0b57d0}"
         "header{display:flex;justify-content:space-between;gap:1rem}")
# The portal's own words in each language; "other" names the other language's version.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "portal": "City portal", "header": "City portal: frequently asked questions",
        "faq": "Frequently asked questions", "no_topics": "No topics yet.",
        "search": "Search", "search_label": "Search the portal", "find": "Search",
        "nothing": "Nothing found.",
        "not_found": "Page not found", "no_topic": "There is no such topic. See",
        "all_questions": "all questions", "other": "По-русски",
    },
    "ru": {
        "portal": "Портал города", "header": "Портал города: часто задаваемые вопросы",
        "faq": "Часто задаваемые вопросы", "no_topics": "Тем пока нет.",
        "search": "Поиск", "search_label": "Поиск по порталу", "find": "Найти",
        "nothing": "Ничего не найдено.",
        "not_found": "Страница не найдена", "no_topic": "Такой темы нет. Смотрите",
        "all_questions": "все вопросы", "other": "In English",
    },
}
routes = web.RouteTableDef()


def prefix(lang: str) -> str:
    """Where a language's pages live: ``/portal`` for English, ``/portal/<lang>`` otherwise."""
    return "/portal" if lang == "en" else f"/portal/{lang}"


def other(lang: str) -> str:
    """The language the header offers instead."""
    return "en" if lang == "ru" else "ru"


def topics_dir(request: web.Request, lang: str) -> Path:
    """The directory of a language's topic files."""
    base: Path = request.app[CONFIG].portal_dir
    return base if lang == "en" else base / lang


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


def page(title: str, body: str, status: int = 200, *, lang: str = "en",
         same_page: str = "/faq") -> web.Response:
    """A whole HTML page; ``same_page`` is this page's path below the language prefix, for
    the header's link to the other language."""
    words = WORDS[lang]
    switch = html.escape(prefix(other(lang)) + same_page)
    document = (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · {words['portal']}</title><style>{STYLE}</style></head>"
        f'<body><header><a href="{prefix(lang)}/faq">{words["header"]}</a>'
        f'<a href="{switch}" lang="{other(lang)}" hreflang="{other(lang)}">{words["other"]}</a>'
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


def _topic_list(lang: str, topics: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{prefix(lang)}/faq/{topic}">{html.escape(title)}</a></li>'
                    for topic, title in topics)
    return f"<ul>{items}</ul>" if items else ""


async def index(request: web.Request, lang: str) -> web.Response:
    """Every FAQ topic of a language, with its title."""
    topics = await asyncio.to_thread(_titles, topics_dir(request, lang))
    words = WORDS[lang]
    return page(words["faq"], _topic_list(lang, topics) or f"<p>{words['no_topics']}</p>",
                lang=lang)


@routes.get("/portal/faq")
async def faq_index(request: web.Request) -> web.Response:
    """Every FAQ topic, with its title."""
    return await index(request, "en")


@routes.get("/portal/ru/faq")
async def faq_index_ru(request: web.Request) -> web.Response:
    """Every FAQ topic, with its Russian title."""
    return await index(request, "ru")


def _fold(text: str) -> str:
    """Lower case, with ё read as е (Russian readers rarely type ё)."""
    return text.lower().replace("ё", "е")


def _search(directory: Path, query: str) -> list[tuple[str, str]]:
    """Topics whose text has every word of the query (at least three letters), best first."""
    words = [w for w in re.findall(r"\w{3,}", _fold(query))]
    if not words or not directory.is_dir():
        return []
    hits = []
    for topic, title in _titles(directory):
        text = _fold((directory / f"{topic}.md").read_text(encoding="utf-8"))
        found = sum(w in text for w in words)
        if found == len(words):
            hits.append((-sum(text.count(w) for w in words), topic, title))
    return [(topic, title) for _, topic, title in sorted(hits)]


async def search_page(request: web.Request, lang: str) -> web.Response:
    """The portal's search in one language: the topics that mention every word asked."""
    query = request.query.get("q", "")[:200]
    found = await asyncio.to_thread(_search, topics_dir(request, lang), query)
    words = WORDS[lang]
    form = (f'<form action="{prefix(lang)}/search"><label>{words["search_label"]} '
            f'<input name="q" value="{html.escape(query)}"></label> '
            f'<button>{words["find"]}</button></form>')
    nothing = f"<p>{words['nothing']}</p>" if query else ""
    same_page = "/search" + (f"?{urlencode({'q': query})}" if query else "")
    return page(words["search"], form + (_topic_list(lang, found) or nothing), lang=lang,
                same_page=same_page)


@routes.get("/portal/search")
async def search(request: web.Request) -> web.Response:
    """The portal's search: the FAQ topics that mention every word asked."""
    return await search_page(request, "en")


@routes.get("/portal/ru/search")
async def search_ru(request: web.Request) -> web.Response:
    """The portal's search among the Russian texts."""
    return await search_page(request, "ru")


async def topic_page(request: web.Request, lang: str) -> web.Response:
    """The official text of one FAQ topic in a language, or a 404 page."""
    topic = request.match_info["topic"]
    path = topics_dir(request, lang) / f"{topic}.md"
    if not TOPIC.match(topic) or not await asyncio.to_thread(path.is_file):
        words = WORDS[lang]
        return page(words["not_found"], f'<p>{words["no_topic"]} <a href="{prefix(lang)}/faq">'
                    f'{words["all_questions"]}</a>.</p>', status=404, lang=lang)
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    title, body = render_topic(text, topic)
    return page(title, body, lang=lang, same_page=f"/faq/{topic}")


@routes.get("/portal/faq/{topic}")
async def faq_topic(request: web.Request) -> web.Response:
    """The official text of one FAQ topic."""
    return await topic_page(request, "en")


@routes.get("/portal/ru/faq/{topic}")
async def faq_topic_ru(request: web.Request) -> web.Response:
    """The official Russian text of one FAQ topic."""
    return await topic_page(request, "ru")
