"""The demo portal renders FAQ topics as escaped HTML with links, in English and Russian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT
from bot.sandbox.app import PORTAL_DIR

TOPIC = """# Passport <documents>

To apply, bring the documents below. Details: https://example.org/passport?a=1&b=2.

- Application form
- Old passport <if any>

Questions? Call the centre.
"""
RU_TOPIC = """# Документы для паспорта <образец>

Чтобы подать заявление, возьмите документы ниже. Подробнее: https://example.org/passport?a=1&b=2.

- Заявление
- Старый паспорт <если есть>

Остались вопросы? Позвоните в центр.
"""


@pytest.fixture
def portal_dir(settings):
    directory = settings.var_dir / "faq"
    directory.mkdir(exist_ok=True)
    (directory / "passport_documents.md").write_text(TOPIC, encoding="utf-8")
    (directory / "parking_permit.md").write_text("# Parking permit\n\nApply online.\n",
                                                 encoding="utf-8")
    (directory / "english_only.md").write_text("# English only\n\nNot translated.\n",
                                               encoding="utf-8")
    russian = directory / "ru"
    russian.mkdir(exist_ok=True)
    (russian / "passport_documents.md").write_text(RU_TOPIC, encoding="utf-8")
    (russian / "parking_permit.md").write_text(
        "# Парковочное разрешение\n\nЗаявление подают онлайн, ещё — в центре.\n",
        encoding="utf-8")
    return directory


async def test_topic_renders_title_paragraphs_lists_and_links(client, portal_dir):
    response = await client.get("/portal/faq/passport_documents")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert "<h1>Passport &lt;documents&gt;</h1>" in page
    assert '<a href="https://example.org/passport?a=1&amp;b=2">' in page
    assert "<li>Old passport &lt;if any&gt;</li>" in page
    assert "<p>Questions? Call the centre.</p>" in page
    assert "<documents>" not in page
    assert '<html lang="en">' in page
    assert 'href="/portal/ru/faq/passport_documents"' in page  # the Russian version


async def test_russian_topic_is_served_in_russian_with_its_title(client, portal_dir):
    response = await client.get("/portal/ru/faq/passport_documents")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert '<html lang="ru">' in page
    assert "<title>Документы для паспорта &lt;образец&gt; · Портал города</title>" in page
    assert "<h1>Документы для паспорта &lt;образец&gt;</h1>" in page
    assert '<a href="https://example.org/passport?a=1&amp;b=2">' in page
    assert "<li>Старый паспорт &lt;если есть&gt;</li>" in page
    assert '<a href="/portal/ru/faq">' in page  # the header leads to the Russian index
    assert 'href="/portal/faq/passport_documents"' in page  # and to the English version
    assert "<образец>" not in page


async def test_faq_index_lists_every_topic_by_title(client, portal_dir):
    page = await (await client.get("/portal/faq")).text()
    assert '<a href="/portal/faq/parking_permit">Parking permit</a>' in page
    assert "Passport &lt;documents&gt;" in page
    assert "/portal/faq/ru" not in page  # the Russian texts' folder is not a topic


async def test_russian_faq_index_lists_every_russian_topic_by_title(client, portal_dir):
    response = await client.get("/portal/ru/faq")
    assert response.status == 200
    page = await response.text()
    assert '<html lang="ru">' in page
    assert "<h1>Часто задаваемые вопросы</h1>" in page
    assert '<a href="/portal/ru/faq/parking_permit">Парковочное разрешение</a>' in page
    assert ('<a href="/portal/ru/faq/passport_documents">Документы для паспорта '
            "&lt;образец&gt;</a>") in page
    assert "english_only" not in page


@pytest.mark.parametrize("topic", ["no_such_topic", "Passport", "..%2Fapp", "a-b"])
async def test_unknown_or_malformed_topic_is_a_404_page(client, portal_dir, topic):
    response = await client.get(f"/portal/faq/{topic}")
    assert response.status == 404


@pytest.mark.parametrize("topic", ["no_such_topic", "english_only", "Passport", "..%2Fapp",
                                   "a-b"])
async def test_unknown_russian_topic_is_a_russian_404_page(client, portal_dir, topic):
    response = await client.get(f"/portal/ru/faq/{topic}")
    assert response.status == 404
    page = await response.text()
    assert '<html lang="ru">' in page and "Такой темы нет." in page


async def test_the_russian_texts_folder_is_no_english_topic(client, portal_dir):
    assert (await client.get("/portal/faq/ru")).status == 404


async def test_search_finds_the_topics_that_mention_every_word(client, portal_dir):
    page = await (await client.get("/portal/search", params={"q": "apply online"})).text()
    assert '<a href="/portal/faq/parking_permit">Parking permit</a>' in page
    assert "passport_documents" not in page  # it says "apply", not "online"
    nothing = await (await client.get("/portal/search", params={"q": "<fishing>"})).text()
    assert "Nothing found." in nothing
    assert "<fishing>" not in nothing  # the query is shown escaped


async def test_russian_search_looks_in_the_russian_texts(client, portal_dir):
    response = await client.get("/portal/ru/search", params={"q": "заявление онлайн"})
    page = await response.text()
    assert '<html lang="ru">' in page
    assert '<form action="/portal/ru/search">' in page
    assert '<a href="/portal/ru/faq/parking_permit">Парковочное разрешение</a>' in page
    assert "passport_documents" not in page  # it says "заявление", not "онлайн"
    folded = await (await client.get("/portal/ru/search", params={"q": "еще"})).text()
    assert "/portal/ru/faq/parking_permit" in folded  # "ещё" is found as typed without ё
    nothing = await (await client.get("/portal/ru/search", params={"q": "<рыбалка>"})).text()
    assert "Ничего не найдено." in nothing
    assert "<рыбалка>" not in nothing


# ---- the pages shipped with the sandbox

def _shipped(directory: Path) -> set[str]:
    return {path.stem for path in directory.glob("*.md")}


def _blocks(text: str) -> list[str]:
    """The outline of a topic file: title, headings, paragraphs, and lists by their length."""
    outline = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if lines[0].startswith("#"):
            outline.append(lines[0].split(" ", 1)[0])
        elif all(line.startswith("- ") for line in lines):
            outline.append(f"list of {len(lines)}")
        else:
            outline.append("paragraph")
    return outline


def test_every_shipped_topic_has_a_russian_page_of_the_same_outline_and_numbers():
    assert _shipped(PORTAL_DIR) == _shipped(PORTAL_DIR / "ru")
    for topic in sorted(_shipped(PORTAL_DIR)):
        english = (PORTAL_DIR / f"{topic}.md").read_text(encoding="utf-8")
        russian = (PORTAL_DIR / "ru" / f"{topic}.md").read_text(encoding="utf-8")
        assert re.match(r"# [А-ЯЁ«]", russian), topic
        assert _blocks(russian) == _blocks(english), topic
        assert set(re.findall(r"\d+", russian)) == set(re.findall(r"\d+", english)), topic


def _portal_links() -> set[str]:
    """Every {portal_url}/... path the domain's responses link to, English and Russian."""
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return {link for variants in responses.values() for variant in variants
            for link in re.findall(r"\{portal_url\}(/[\w/]*)", variant.get("text") or "")}


async def test_every_portal_link_of_the_domain_is_served(make_client):
    links = _portal_links()
    assert any(link.startswith("/ru/faq/") for link in links)
    assert any(link.startswith("/faq/") for link in links)
    client = await make_client(portal_dir=PORTAL_DIR)
    for link in sorted(links):
        response = await client.get(f"/portal{link}")
        assert response.status == 200, link
        language = "ru" if link.startswith("/ru/") else "en"
        assert f'<html lang="{language}">' in await response.text(), link
