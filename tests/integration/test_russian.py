"""Russian over the REST channel, end to end against the real stack (issue "Russian").

Every test is a real conversation: the citizen's Russian turns are phrasings the Russian
conversation suite (tests/conversations/suite/russian.yml) records as understood, the expected
replies are the Russian variations in domain.yml, and what the city ends up knowing is read back
from the sandbox (Open311, the city API, the portal). Each Russian reply is also checked for the
absence of its English counterpart; an English conversation must contain no Cyrillic at all.
"""

from __future__ import annotations

import re

import pytest
import requests

from bot.sandbox.seed import flat_of
from tests.integration.conftest import Stack, buttons, texts

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
SIZES_RU = ["Меньше обувной коробки", "Примерно с колесо автомобиля", "Больше колеса автомобиля"]
# A meter account no other test or suite conversation submits for.
ACCOUNT = "7700000019"


def titles(messages: list[dict]) -> list[str]:
    return [b.get("title") or "" for b in buttons(messages)]


def press(stack: Stack, sender: str, messages: list[dict], title: str) -> list[dict]:
    """Press the button titled ``title`` in the bot's last reply (its payload is sent)."""
    chosen = [b for b in buttons(messages) if b.get("title") == title]
    assert chosen, f"no button {title!r} among {titles(messages)}"
    return stack.say(sender, chosen[0]["payload"])


def english_only(messages: list[dict]) -> str:
    """The reply's text, after checking that neither it nor its buttons say a Russian word."""
    said = texts(messages) + "\n" + "\n".join(titles(messages))
    assert not CYRILLIC.search(said), f"Russian in an English conversation: {said!r}"
    return texts(messages)


def number_after(pattern: str, messages: list[dict]) -> str:
    match = re.search(pattern, texts(messages))
    assert match, f"no {pattern!r} in: {texts(messages)!r}"
    return match.group(1)


def filed_by(stack: Stack, sender: str) -> list[dict]:
    """The requests the city has from this conversation (the sandbox's test hook)."""
    resp = requests.get(f"{stack.sandbox}/sandbox/requests", params={"device_id": sender},
                        timeout=10)
    resp.raise_for_status()
    return resp.json()


def city_address(stack: Stack, query: str, lang: str) -> dict:
    resp = requests.get(f"{stack.sandbox}/api/v1/addresses",
                        params={"q": query, "limit": 1, "lang": lang}, timeout=10)
    resp.raise_for_status()
    return resp.json()["items"][0]


def shown(value: float) -> str:
    """A reading as a Russian text writes it: a decimal comma, no trailing zeros ("154,8")."""
    return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")


def says_number(text: str, value: float, where: str = "{}") -> bool:
    """The number is in the text where ``where`` puts it, written the Russian way."""
    return where.format(shown(value)) in text


# ---- 1. a pothole report filed in Russian

def test_russian_pothole_report_is_filed_with_a_russian_number_and_description(
    healthy_city: Stack, sender: str
) -> None:
    asked = healthy_city.say(sender, "на тверской 12 яма")
    assert "Какого размера яма?" in texts(asked)
    assert "How big" not in texts(asked)
    assert titles(asked) == SIZES_RU

    described = press(healthy_city, sender, asked, "Больше колеса автомобиля")
    assert "Опишите, пожалуйста, проблему" in texts(described)
    assert "describe the problem" not in texts(described)

    text = "глубокая выбоина у пешеходного перехода, я об неё покрышку пробил"
    confirm = healthy_city.say(sender, text)
    said = texts(confirm)
    assert "Яма на дороге, Тверская улица, 12" in said
    assert f"«{text}»" in said and "Отправить его в город?" in said
    assert "Shall I send it" not in said and "Pothole" not in said and "Tverskaya" not in said
    assert titles(confirm) == ["Да, отправить", "Нет, отменить"]

    done = press(healthy_city, sender, confirm, "Да, отправить")
    number = number_after(r"номер заявки — (\d+)", done)
    assert "Исполнитель: ГБУ «Автомобильные дороги»" in texts(done)
    for english in ("request number", "Responsible", "Roads Department"):
        assert english not in texts(done)

    assert [r["service_request_id"] for r in filed_by(healthy_city, sender)] == [number]
    filed = healthy_city.open311(f"requests/{number}.json")
    assert filed.status_code == 200
    request = filed.json()[0]
    assert request["description"] == text  # the citizen's Russian words, verbatim
    assert request["service_code"] == "pothole"
    assert request["address"] == "Tverskaya Street, 12"  # the city's own (English) label
    english_house = city_address(healthy_city, "tverskaya 12", "en")
    russian_house = city_address(healthy_city, "Тверская 12", "ru")
    assert russian_house["label"] == "Тверская улица, 12"
    assert request["address_id"] == str(english_house["id"]) == str(russian_house["id"])

    in_russian = healthy_city.open311(f"requests/{number}.json", locale="ru").json()[0]
    assert in_russian["address"] == "Тверская улица, 12"
    assert in_russian["service_name"] == "Яма на дороге"
    assert in_russian["description"] == text


# ---- 2. request status in Russian

def test_status_of_requests_in_russian(healthy_city: Stack, sender: str) -> None:
    seeded = range(100001, 100041)  # the sandbox's historic requests: the clock never moves them

    def seeded_request(status: str) -> tuple[dict, dict]:
        found = healthy_city.open311("requests.json", status=status).json()
        request_id = next(r["service_request_id"] for r in found
                          if int(r["service_request_id"]) in seeded)
        english = healthy_city.open311(f"requests/{request_id}.json").json()[0]
        russian = healthy_city.open311(f"requests/{request_id}.json", locale="ru").json()[0]
        return english, russian

    for status, word, other_word, english_word, question in (
        ("closed", "закрыта", "в работе", "is closed", "статус заявки {} пожалуйста"),
        ("open", "в работе", "закрыта", "is open", "подскажите что с заявкой {}"),
    ):
        en, ru = seeded_request(status)
        request_id = ru["service_request_id"]
        reply = texts(healthy_city.say(sender, question.format(request_id)))
        assert (f"Заявка {request_id} ({ru['service_name']}, {ru['address']}) {word}. "
                f"{ru['status_notes']}") in reply
        assert f"исполнитель: {ru['agency_responsible']}" in reply and "Подана" in reply
        assert other_word not in reply
        for english in (english_word, "Request", "Filed on", "responsible"):
            assert english not in reply
        for key in ("service_name", "status_notes", "agency_responsible", "address"):
            if en[key] != ru[key]:
                assert en[key] not in reply, f"the English {key} {en[key]!r} in {reply!r}"


# ---- 3. meter readings in Russian

def test_russian_meter_readings_are_submitted_and_stored(healthy_city: Stack, sender: str) -> None:
    flat = flat_of(ACCOUNT)
    account_url = f"{healthy_city.sandbox}/api/v1/meters/{ACCOUNT}"
    before = requests.get(account_url, params={"flat": flat}, timeout=10).json()
    last = {m["kind"]: m["last_reading"]["value"] for m in before["meters"]}
    hot, cold = round(last["hot"] + 2.5, 1), round(last["cold"] + 4.5, 1)

    asked = texts(healthy_city.say(sender, "нужно сдать показания по воде за месяц"))
    assert "номер лицевого счёта" in asked and "account number" not in asked
    asked = texts(healthy_city.say(sender, ACCOUNT))
    assert "номер вашей квартиры" in asked and "flat" not in asked
    asked = texts(healthy_city.say(sender, flat))
    assert "счётчик горячей воды" in asked
    assert says_number(asked, last["hot"], "В прошлом месяце: {})")
    assert "hot water" not in asked
    asked = texts(healthy_city.say(sender, shown(hot)))
    assert "счётчик холодной воды" in asked
    assert says_number(asked, last["cold"], "В прошлом месяце: {})")
    assert "cold water" not in asked
    confirm = healthy_city.say(sender, shown(cold))
    said = texts(confirm)
    assert "Передать показания?" in said and f"лицевой счёт {ACCOUNT}" in said
    assert says_number(said, hot, "горячая вода — {} м³")
    assert says_number(said, cold, "холодная вода — {} м³")
    assert "Shall I submit" not in said

    done = texts(press(healthy_city, sender, confirm, "Да, передать"))
    assert f"Показания по лицевому счёту {ACCOUNT} приняты" in done
    assert says_number(done, hot, "Счётчик горячей воды: {} м³, расход с прошлого показания")
    assert says_number(done, cold, "Счётчик холодной воды: {} м³, расход с прошлого показания")
    assert says_number(done, 2.5, "расход с прошлого показания — {} м³")  # hot: used 2.5
    assert says_number(done, 4.5, "расход с прошлого показания — {} м³")  # cold: used 4.5
    assert "accepted" not in done and "used" not in done

    stored = requests.get(account_url, params={"flat": flat}, timeout=10).json()
    this_month = {m["kind"]: (m["this_month"] or {}).get("value") for m in stored["meters"]}
    assert this_month == {"hot": pytest.approx(hot), "cold": pytest.approx(cold)}


# ---- 4. a common question in Russian

@pytest.mark.parametrize(
    ("question", "topic", "curated", "english", "page_title"),
    [
        ("в следующем месяце мне 45, что надо сделать с паспортом?", "passport",
         "меняют в 20 и в 45 лет", "The internal passport", "Паспорт гражданина РФ"),
        ("как записать дочку в садик через портал?", "kindergarten",
         "от 2 месяцев до 7 лет", "City kindergartens", "Запись в детский сад"),
    ],
    ids=["passport", "kindergarten"],
)
def test_russian_faq_answer_is_curated_and_cites_the_russian_source(
    healthy_city: Stack, sender: str, question: str, topic: str, curated: str, english: str,
    page_title: str,
) -> None:
    reply = texts(healthy_city.say(sender, question))
    portal = f"{healthy_city.sandbox}/portal"
    link = f"{portal}/ru/faq/{topic}"
    assert curated in reply
    assert f"Официальный источник: {link}" in reply
    assert "Official source" not in reply and english not in reply
    assert f"{portal}/faq/{topic}" not in reply  # not the English page
    page = requests.get(link, timeout=5)
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text and page_title in page.text


# ---- 5. switching language in the middle of a report

def test_switch_to_english_mid_report_carries_the_report_on(
    healthy_city: Stack, sender: str
) -> None:
    asked = healthy_city.say(sender, "на тверской 12 яма")
    assert "Какого размера яма?" in texts(asked)

    switched = healthy_city.say(sender, "can we continue in english please")
    said = english_only(switched)
    assert "OK, let's continue in English." in said
    assert "How big is the pothole?" in said  # the same question, now in English
    described = english_only(press(healthy_city, sender, switched, "Up to a car wheel"))
    assert "Please describe the problem" in described

    text = "deep hole right by the bus stop, buses splash everyone waiting there"
    confirm = healthy_city.say(sender, text)
    said = english_only(confirm)  # the service and the address named again in English
    assert "Pothole at Tverskaya Street, 12" in said and "Shall I send it" in said
    done = press(healthy_city, sender, confirm, "Yes, send it")
    number = number_after(r"request number (\d+)", done)
    assert "Roads Department" in english_only(done)

    assert healthy_city.tracker(sender)["slots"]["language"] == "en"
    request = healthy_city.open311(f"requests/{number}.json").json()[0]
    assert request["service_code"] == "pothole" and request["description"] == text
    assert request["address"] == "Tverskaya Street, 12"


def test_language_command_switches_to_russian_mid_report(healthy_city: Stack, sender: str) -> None:
    asked = english_only(healthy_city.say(sender, "pothole outside tverskaya 12"))
    assert "How big is the pothole" in asked

    # Telegram's /language sends this payload; with no language named it toggles.
    switched = healthy_city.say(sender, "/change_language")
    said = texts(switched)
    assert "Хорошо, продолжим по-русски." in said
    assert "Какого размера яма?" in said and titles(switched) == SIZES_RU
    assert "continue in English" not in said and "How big" not in said
    described = texts(press(healthy_city, sender, switched, "Примерно с колесо автомобиля"))
    assert "Опишите, пожалуйста, проблему" in described
    assert "describe the problem" not in described

    text = "прямо посреди правой полосы, машины резко тормозят и виляют"
    confirm = healthy_city.say(sender, text)
    said = texts(confirm)  # the service and the address named again in Russian
    assert "Яма на дороге, Тверская улица, 12" in said and "Отправить его в город?" in said
    assert "Pothole" not in said and "Tverskaya" not in said and "Shall I send it" not in said
    done = press(healthy_city, sender, confirm, "Да, отправить")
    number = number_after(r"номер заявки — (\d+)", done)
    assert "request number" not in texts(done)

    assert healthy_city.tracker(sender)["slots"]["language"] == "ru"
    request = healthy_city.open311(f"requests/{number}.json").json()[0]
    assert request["service_code"] == "pothole" and request["description"] == text
    assert request["address"] == "Tverskaya Street, 12"


# ---- 6. an English conversation beside a Russian one

def test_an_english_conversation_beside_a_russian_one_stays_english(
    healthy_city: Stack, sender: str
) -> None:
    en, ru = sender, f"{sender}-ru"
    say = healthy_city.say

    hello_ru = say(ru, "добрый денёк")
    assert "Здравствуйте!" in texts(hello_ru) and "Сообщить о проблеме" in titles(hello_ru)
    assert "Hello" not in texts(hello_ru)
    hello_en = say(en, "hi")
    assert english_only(hello_en).startswith("Hello") and "Report a problem" in titles(hello_en)

    asked_ru = say(ru, "на тверской 12 яма")
    assert "Какого размера яма?" in texts(asked_ru) and titles(asked_ru) == SIZES_RU
    asked_en = say(en, "pothole outside tverskaya 12")
    assert "How big is the pothole" in english_only(asked_en)

    described_ru = texts(press(healthy_city, ru, asked_ru, "Примерно с колесо автомобиля"))
    assert "Опишите, пожалуйста, проблему" in described_ru
    assert "describe the problem" not in described_ru
    described_en = english_only(press(healthy_city, en, asked_en, "Up to a car wheel"))
    assert "describe the problem" in described_en

    confirm_ru = say(ru, "глубокая дыра прямо на переходе, все её объезжают")
    assert "Отправить его в город?" in texts(confirm_ru)
    assert "Shall I send it" not in texts(confirm_ru)
    confirm_en = english_only(say(en, "deep hole right by the crossing"))
    assert "Pothole at Tverskaya Street, 12" in confirm_en and "Shall I send it" in confirm_en

    cancelled_ru = texts(press(healthy_city, ru, confirm_ru, "Нет, отменить"))
    assert "ничего не отправлено" in cancelled_ru and "not sent anything" not in cancelled_ru
    assert "not sent anything" in english_only(say(en, "no"))

    assert healthy_city.tracker(en)["slots"]["language"] == "en"
    assert healthy_city.tracker(ru)["slots"]["language"] == "ru"
    assert filed_by(healthy_city, en) == [] and filed_by(healthy_city, ru) == []
