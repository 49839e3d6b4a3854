"""The demo portal renders FAQ topics as escaped HTML with links."""

from __future__ import annotations

import pytest

TOPIC = """# Passport <documents>

To apply, bring the documents below. Details: https://example.org/passport?a=1&b=2.

- Application form
- Old passport <if any>

Questions? Call the centre.
"""


@pytest.fixture
def portal_dir(settings):
    directory = settings.var_dir / "faq"
    directory.mkdir(exist_ok=True)
    (directory / "passport_documents.md").write_text(TOPIC, encoding="utf-8")
    (directory / "parking_permit.md").write_text("# Parking permit\n\nApply online.\n",
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


async def test_faq_index_lists_every_topic_by_title(client, portal_dir):
    page = await (await client.get("/portal/faq")).text()
    assert '<a href="/portal/faq/parking_permit">Parking permit</a>' in page
    assert "Passport &lt;documents&gt;" in page


@pytest.mark.parametrize("topic", ["no_such_topic", "Passport", "..%2Fapp", "a-b"])
async def test_unknown_or_malformed_topic_is_a_404_page(client, portal_dir, topic):
    response = await client.get(f"/portal/faq/{topic}")
    assert response.status == 404


async def test_search_finds_the_topics_that_mention_every_word(client, portal_dir):
    page = await (await client.get("/portal/search", params={"q": "apply online"})).text()
    assert '<a href="/portal/faq/parking_permit">Parking permit</a>' in page
    assert "passport_documents" not in page  # it says "apply", not "online"
    nothing = await (await client.get("/portal/search", params={"q": "<fishing>"})).text()
    assert "Nothing found." in nothing
    assert "<fishing>" not in nothing  # the query is shown escaped
