"""Reading emergencies, corrections and past periods out of what citizens write."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.corrections import is_correction, negated, swapped_house, wrong_detail
from bot.emergency import is_emergency
from bot.handoff import within_hours
from bot.when import parse_period

MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize("text", [
    "help! the lift is stuck between floors with my neighbour inside, Petrovka 20",
    "my kid is stuck in the elevator",
    "i smell gas in the stairwell",
    "someone got hurt on the broken swing",
    "there are live wires hanging from the pole",
    "nobody is hurt but there is a strong smell of gas in the stairwell",
    "no one inside the flat, but smoke is pouring out of the window",
])
def test_people_in_danger_are_an_emergency(text):
    assert is_emergency(text)


@pytest.mark.parametrize("text", [
    "the lift is broken", "lift stuck, nobody inside", "pothole at arbat 10",
    "the lift has been stuck for two days", "the traffic light is dark",
])
def test_ordinary_problems_are_not_an_emergency(text):
    assert not is_emergency(text)


def test_a_correction_is_recognised_with_what_it_corrects():
    assert is_correction("no wait, it's Arbat 10 not 12")
    assert swapped_house("no wait, it's Arbat 10 not 12") == "10"
    assert is_correction("it's not about lights, it's a water leak")
    assert wrong_detail("no, the address is wrong. It's Arbat 10") == "address"
    assert not is_correction("deep hole next to the bus stop")


def test_a_negated_category_is_not_the_one_meant():
    text = "it's not about lights, it's a water leak"
    assert negated(text, text.index("lights"))
    assert not negated(text, text.index("water"))


def test_since_a_day_is_the_past_up_to_today():
    assert parse_period("no cold water since saturday, why?", MONDAY) == (date(2026, 11, 28), MONDAY)
    assert parse_period("since this morning", MONDAY) == (MONDAY, MONDAY)
    assert parse_period("since yesterday", MONDAY) == (date(2026, 11, 29), MONDAY)
    assert parse_period("on saturday", MONDAY) == (date(2026, 12, 5), date(2026, 12, 5))


def test_operator_hours():
    assert within_hours("08:00-20:00", time(9, 30))
    assert not within_hours("08:00-20:00", time(20, 0))
    assert not within_hours("08:00-20:00", time(7, 59))


@pytest.mark.parametrize(("text", "follows"), [
    ("is there a fee for that?", True),
    ("and old batteries?", True),
    ("from what age do they take kids?", True),
    ("how do i get a passport", False),
    ("what is the weather in moscow", False),
])
def test_a_question_that_leans_on_the_last_answer_is_a_follow_up(text, follows):
    from bot.faq import is_follow_up

    assert is_follow_up(text) is follows


@pytest.mark.parametrize(("text", "answer"), [
    ("no don't submit yet, I want to double check", False),
    ("nope", False),
    ("yes send it pls", True),
    ("ok go ahead", True),
    ("the address is wrong", None),
    ("ambulance is here now. yes, please report the ice so nobody else falls", True),
    ("i called them already. yes please send the report as well", True),
    ("hmm on second thought dont send it, my neighbour already called the council", False),
    ("I pressed no by mistake, please send it", True),
    ("no one is inside", False),
    ("yes, but no, don't send it", None),
    ("thank you for sorting that out", None),
    ("да, отправляй", True),
    ("нет, не отправляй пока", False),
    ("я нажал нет по ошибке, отправь пожалуйста", True),
    ("отмена", False),
])
def test_a_plain_yes_or_no_is_read_when_the_nlu_is_unsure(text, answer):
    from bot.corrections import yes_or_no

    assert yes_or_no(text) is answer


@pytest.mark.parametrize(("text", "asks"), [
    ("I pressed no by mistake, please send it", True),
    ("send it after all", True),
    ("я нажал нет по ошибке, отправь пожалуйста", True),
    ("всё-таки отправьте", True),
    ("yeah. thanks anyway", False),
    ("yes", False),
    ("да", False),
    ("no, don't send it", False),
])
def test_only_words_that_ask_to_send_file_a_cancelled_report(text, asks):
    from bot.corrections import asks_to_send

    assert asks_to_send(text) is asks


def test_the_number_said_to_be_wrong_is_left_out_of_the_address():
    from bot.corrections import without_negated_numbers

    assert without_negated_numbers("oh wait... it's Tverskaya 14 not 12") == "oh wait... it's Tverskaya 14"
    assert without_negated_numbers("arbat 10, not 12") == "arbat 10"
    assert without_negated_numbers("pokrovka 5") == "pokrovka 5"


@pytest.mark.parametrize(("text", "asks"), [
    ("how long will it take to fix?", True),
    ("what's the status of 100234", True),
    ("tell me the opening hours", True),
    ("in front of the bakery, right where the buses stop", False),
    ("small but deep, right where cyclists ride along the kerb", False),
    ("lol ok. arbat 15", False),
])
def test_a_question_is_told_from_a_statement(text, asks):
    from bot.textparse import asks_something

    assert asks_something(text) is asks


UTILITY = ("You can pay on the city portal, in a bank or banking app, at a post office or at a "
           "payment terminal using the payer code on the bill.")


@pytest.mark.parametrize(("question", "about"), [
    ("can i pay at the post office?", True),
    ("what about a terminal in the supermarket?", True),
    ("thanks, will pay at the post office then", False),  # no question
    ("how do i get a visa?", False),                      # nothing the answer speaks of
])
def test_a_question_about_what_the_answer_speaks_of_follows_it(question, about):
    from bot.faq import asks_about_answer

    assert asks_about_answer(question, UTILITY) is about


def test_the_selector_sure_of_no_curated_answer_is_told_apart():
    from bot.faq import curated_topic, surely_unanswered

    def parse(topic, confidence):
        return {"response_selector": {"faq": {"response": {
            "intent_response_key": topic, "confidence": confidence}}}}

    assert surely_unanswered(parse("faq/no_curated_answer", 0.9))
    assert not surely_unanswered(parse("faq/no_curated_answer", 0.3))
    assert not surely_unanswered(parse("faq/passport", 0.9))
    assert curated_topic(parse("faq/passport", 0.9)) == "faq/passport"
    assert curated_topic(parse("faq/no_curated_answer", 0.9)) is None


@pytest.mark.parametrize(("text", "said"), [
    ("they're out now, the firemen opened the doors. thanks", "thank"),
    ("ok thank you, bye", "goodbye"),
    ("have a good evening", "goodbye"),
    ("it was great to talk to you", "goodbye"),
    ("nice chatting with you", "goodbye"),
    ("приятно было пообщаться", "goodbye"),
    ("great to talk to you, what about 100035?", None),
    ("thanks, but how long will it take?", None),
    ("the chain snapped on the swing", None),
])
def test_closing_words_said_with_something_else_are_read(text, said):
    from bot.smalltalk import closing

    assert closing(text) == said



@pytest.mark.parametrize(("text", "asks"), [
    ("what are you for exactly?", True),
    ("hmm ok. what can you help me with then", True),
    ("what is this bot for", True),
    ("how could you help me", True),
    ("what's this for", True),
    ("what else can you do", True),
    ("what are you doing to fix the road", False),
    ("what can i do about the noise from next door", False),
    ("what is this fee for", False),
    ("what can you do about the pothole", False),  # a matter, not the assistant
    ("how can you help with my meter readings", False),
    ("what do you do with my data", False),
])
def test_a_question_about_what_the_assistant_does_is_read(text, asks):
    from bot.smalltalk import asks_what_i_do

    assert asks_what_i_do(text) is asks


@pytest.mark.parametrize(("text", "leaving"), [
    ("have a good evening", True),
    ("have a nice day, bye", True),
    ("hi, have a nice day", False),  # a greeting first
    ("good evening", False),
])
def test_greeting_words_that_say_goodbye_are_a_farewell(text, leaving):
    from bot.smalltalk import farewell

    assert farewell(text) is leaving


@pytest.mark.parametrize(("text", "where"), [
    ("where is the nearest post office?", True),
    ("is the post office open on sunday?", True),
    ("can i pay at the post office?", False),
])
def test_an_office_search_is_told_from_a_question_about_an_answer(text, where):
    from bot.faq import asks_where

    assert asks_where(text) is where


# Russian, as Muscovites type it: lower case, no punctuation, ё or е, the odd typo or Latin letters.

@pytest.mark.parametrize("text", [
    "застряли в лифте с ребенком тверская 12",
    "соседка застряла в лифте между этажами",
    "лифт застрял внутри человек",
    "в лифте застрял мой сосед помогите",
    "застяли в лифте",
    "ребенок заперт в квартире один",
    "пахнет газом в подъезде",
    "в подъезде сильно несёт газом",
    "запах газа на лестнице",
    "pakhnet gazom v podezde",
    "пожар на балконе",
    "горит мусорный контейнер во дворе",
    "дым из окна на третьем этаже",
    "искрит провод на столбе",
    "оголенные провода у детской площадки",
    "кто-то упал и не встаёт",
    "бабушка упала на льду и не может встать",
    "прорвало трубу кипятком с паром прямо на людей",
    "лифт застрял между этажами внутри никого нет а в подъезде пахнет газом",
])
def test_russian_danger_is_an_emergency(text):
    assert is_emergency(text)


@pytest.mark.parametrize("text", [
    "как вызвать газовщика для плановой проверки",
    "плановая проверка на утечку газа",
    "лифт не работает уже два дня",
    "лифт застрял на девятом этаже, внутри никого нет",
    "лифт встал никто не застрял",
    "никто не пострадал но качели сломаны",
    "лифт застрял, соседи жалуются",
    "светофор не горит",
    "фонарь горит весь день",
    "в подъезде горит свет круглые сутки",
    "где сдать кровь",
    "пожарный гидрант сломан",
    "запах скошенного газона",
    "дети могут травмироваться на сломанных качелях",
    "подвал заперт уже месяц",
    "провода висят над детской площадкой",
])
def test_ordinary_russian_problems_are_not_an_emergency(text):
    assert not is_emergency(text)


@pytest.mark.parametrize("text", [
    "ой, не тот адрес", "нет, тверская 10", "подождите это арбат 12", "стоп, не так",
    "точнее арбат 12", "вернее дом 14", "я имел в виду покровку", "ошиблась арбат 10",
    "не 12, а 10", "не про яму а про фонарь", "хм, это не яма, это трубу прорвало",
])
def test_a_russian_correction_is_recognised(text):
    assert is_correction(text)


@pytest.mark.parametrize("text", [
    "во дворе огромная лужа", "нет воды третий день", "третий день не вывозят мусор",
    "из-за погоды лед на тротуаре", "ничего не изменилось",
    "это не первый раз, это уже третья яма за месяц",
])
def test_a_russian_description_is_no_correction(text):
    assert not is_correction(text)


def test_a_negated_russian_category_is_not_the_one_meant():
    text = "это не яма, а провал асфальта"
    assert negated(text, text.index("яма"))
    assert not negated(text, text.index("провал"))
    text = "провал, а не яма"
    assert negated(text, text.index("яма"))
    text = "не горит фонарь у подъезда"  # "не" of the verb, not of the lamp
    assert not negated(text, text.index("фонарь"))


@pytest.mark.parametrize(("text", "detail"), [
    ("нет, адрес неправильный", "address"),
    ("улица не та", "address"),
    ("номер дома другой", "address"),
    ("неправильная категория", "category"),
    ("не тот тип проблемы", "category"),
    ("описание неверное", "description"),
    ("нет, текст не тот", "description"),
])
def test_the_wrong_detail_is_read_in_russian(text, detail):
    assert wrong_detail(text) == detail


@pytest.mark.parametrize(("text", "house", "kept"), [
    ("10, а не 12", "10", "10"),
    ("не 12, а 10", "10", "10"),
    ("дом 10 а не 12", "10", "дом 10"),
    ("арбат 10 не 12", "10", "арбат 10"),
    ("тверская не 12а, а 14б", "14б", "тверская 14б"),
])
def test_a_russian_house_number_swap_keeps_the_right_number(text, house, kept):
    from bot.corrections import without_negated_numbers

    assert swapped_house(text) == house
    assert without_negated_numbers(text) == kept


@pytest.mark.parametrize(("text", "asks"), [
    ("как долго ждать", True),
    ("когда починят", True),
    ("где ближайший мфц", True),
    ("сколько ждать ответа", True),
    ("почему до сих пор не починили", True),
    ("можно ли подать заявку анонимно", True),
    ("а что с моей заявкой", True),
    ("будет ли вода завтра", True),
    ("спасибо а сколько ждать", True),
    ("перед пекарней прямо где останавливаются автобусы", False),
    ("кто-то разбил фонарь", False),
    ("что-то течет с потолка", False),
    ("то ли яма то ли провал", False),
    ("ок арбат 15", False),
])
def test_a_russian_question_is_told_from_a_statement(text, asks):
    from bot.textparse import asks_something

    assert asks_something(text) is asks


@pytest.mark.parametrize(("text", "describes"), [
    ("хочу сообщить о проблеме", False),
    ("здравствуйте, хочу пожаловаться", False),
    ("добрый день у нас тут проблема", False),
    ("хочу пожаловаться на яму", False),
    ("во дворе огромная лужа, машины не проехать", True),
    ("третий день не вывозят мусор из контейнеров", True),
    ("i want to report a pothole", False),
])
def test_a_first_message_that_describes_the_problem_is_told_apart(text, describes):
    from bot.textparse import describes_problem

    assert describes_problem(text) is describes


@pytest.mark.parametrize(("text", "said"), [
    ("всё, дождались, спасибо", "thank"),
    ("благодарю за помощь", "thank"),
    ("спасибо, пока", "goodbye"),
    ("ну всё пока", "goodbye"),
    ("до свидания", "goodbye"),
    ("спасибо а когда починят", None),
    ("нет, не отправляй пока", None),  # "not yet", no goodbye
    ("пока не починили", None),
    ("цепь на качелях порвалась", None),
])
def test_russian_closing_words_are_read(text, said):
    from bot.smalltalk import closing

    assert closing(text) == said


@pytest.mark.parametrize(("text", "asks"), [
    ("что ты умеешь", True),
    ("а что вы вообще умеете?", True),
    ("чем можешь помочь", True),
    ("чем вы можете мне помочь", True),
    ("для чего этот бот", True),
    ("что вы можете сделать с ямой во дворе", False),
    ("чем можете помочь с показаниями счетчиков", False),
    ("что вы делаете с моими данными", False),
])
def test_a_russian_question_about_what_the_assistant_does_is_read(text, asks):
    from bot.smalltalk import asks_what_i_do

    assert asks_what_i_do(text) is asks


@pytest.mark.parametrize(("text", "back"), [
    ("never mind, I'll use the bot", True),
    ("ладно, продолжу с ботом", True),
    ("не надо, сама справлюсь", True),
    ("давайте обратно к роботу", True),
    ("ботинки промокли, жду оператора", False),
    ("жду оператора", False),
])
def test_going_back_to_the_assistant_is_read(text, back):
    from bot.smalltalk import back_to_bot

    assert back_to_bot(text) is back


@pytest.mark.parametrize(("text", "leaving"), [
    ("хорошего вечера", True),
    ("привет, хорошего дня", False),
    ("добрый вечер", False),
])
def test_russian_greeting_words_that_say_goodbye_are_a_farewell(text, leaving):
    from bot.smalltalk import farewell

    assert farewell(text) is leaving


def test_since_a_russian_day_is_the_past_up_to_today():
    assert parse_period("нет холодной воды с субботы, почему", MONDAY) == (date(2026, 11, 28), MONDAY)
    assert parse_period("с самого утра нет света", MONDAY) == (MONDAY, MONDAY)
    assert parse_period("со вчерашнего дня", MONDAY) == (date(2026, 11, 29), MONDAY)
    assert parse_period("в субботу", MONDAY) == (date(2026, 12, 5), date(2026, 12, 5))


def test_a_kind_waved_away_in_russian_is_negated():
    from bot.corrections import negated

    text = "да какие фонари, там трубу прорвало"
    assert negated(text, text.index("фонари"))
    assert not negated(text, text.index("трубу"))
    assert not negated("какие фонари не горят", 0)
    assert is_correction(text)


@pytest.mark.parametrize(("text", "asks"), [
    ("are you an actual human?", True),
    ("wait, are you a real person", True),
    ("am i talking to a bot", True),
    ("is anyone real reading this", True),
    ("are you a robot or a human?", True),
    ("ты бот?", True),
    ("ты что, бот?", True),
    ("я с живым человеком общаюсь?", True),
    ("с кем я говорю?", True),
    ("can I talk to a real person", False),  # asks for one
    ("are you a bot? get me a human", False),
    ("are you open on saturday", False),
    ("are you people going to fix the road", False),
    ("is there someone who can fix the light", False),
    ("я хочу поговорить с человеком", False),
    ("это человек упал у подъезда", False),
])
def test_a_question_whether_the_assistant_is_a_person_is_read(text, asks):
    from bot.smalltalk import asks_if_human

    assert asks_if_human(text) is asks


def _at_confirmation(text: str, intent: str, confidence: float):
    from rasa_sdk import Tracker

    return Tracker("c", {"requested_slot": "report_confirmed"},
                   {"text": text, "intent": {"name": intent, "confidence": confidence}},
                   [], False, None, {"name": "report_form"}, "action_listen")


@pytest.mark.parametrize(("text", "intent", "confidence", "read"), [
    ("alright, send it", "deny", 0.52, {"report_confirmed": True}),  # a lean the words overrule
    ("alright, send it", "deny", 0.80, {}),  # a sure reading stays the NLU's
    ("no, don't send it", "affirm", 0.50, {"report_confirmed": False}),
    ("yes send it", "affirm", 0.50, {}),  # the NLU's own mapping already says so
    ("the address is wrong", "deny", 0.50, {}),  # words say neither
    ("no don't submit yet", "inform", 0.60, {"report_confirmed": False}),
])
def test_plain_words_at_a_confirmation_overrule_a_lean_of_the_nlu(text, intent, confidence, read):
    from actions.common import plain_yes_or_no

    assert plain_yes_or_no(_at_confirmation(text, intent, confidence), "report_confirmed") == read
