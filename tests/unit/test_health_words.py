"""Reading a doctor's appointment out of what citizens write (bot.health): the specialty in
their words, in English and Russian, typos included; a policy number inside a sentence; whether
they ask to cancel or only to see; a slot picked by a time typed instead of a button."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.health import (
    asks_what_is_booked,
    asks_for_a_doctor,
    Choice,
    booking_meant,
    cancel_meant,
    choose,
    digits_in,
    find_specialty,
    needs_referral,
    policy_in,
    shown_policy,
    wants_cancel,
    with_check_digit,
)

MOSCOW = timezone(timedelta(hours=3))
TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.mark.parametrize(("text", "code"), [
    ("could you get me in with a GP this week", "therapist"),
    ("our family doctor please", "therapist"),
    ("i think i need the therapist", "therapist"),
    ("the local doctor at my polyclinic", "therapist"),
    ("my eyes are itchy, eye doctor please", "ophthalmologist"),
    ("an oculist appointment", "ophthalmologist"),
    ("ENT for a blocked ear", "otolaryngologist"),
    ("ear, nose and throat specialist", "otolaryngologist"),
    ("a filling fell out, I need a dentist", "dentist"),
    ("gynaecologist check-up", "gynecologist"),
    ("urologist", "urologist"),
    ("a surgeon to look at my knee", "surgeon"),
    ("хочу попасть к терапевту", "therapist"),
    ("участковый нужен", "therapist"),
    ("запись к окулисту на пятницу", "ophthalmologist"),
    ("глазной врач", "ophthalmologist"),
    ("к лору бы", "otolaryngologist"),
    ("зубной болит, к стоматологу", "dentist"),
    ("к гинекологу", "gynecologist"),
    ("zapishi k terapevtu", "therapist"),
])
def test_a_specialty_is_read_from_how_people_name_it(text, code):
    assert find_specialty(text) == code


@pytest.mark.parametrize("text", [
    "it's for my kid", "my daughter has a rash", "our baby needs a check", "for my son",
    "my 3 year old has a fever", "ребёнку нужен врач", "для сына", "дочке плохо",
    "малыш кашляет",
])
def test_a_child_means_the_paediatrician(text):
    assert find_specialty(text) == "pediatrician"


def test_a_specialty_named_for_a_child_is_that_specialty():
    assert find_specialty("the ENT for my son") == "otolaryngologist"
    assert find_specialty("детский стоматолог для дочки") == "dentist"


def test_a_child_word_only_counts_when_asked_for():
    assert find_specialty("the first one is fine for my son", for_child=False) is None


@pytest.mark.parametrize(("text", "code"), [
    ("opthamologist", "ophthalmologist"), ("peadiatrician", "pediatrician"),
    ("dentst please", "dentist"), ("терапефту", "therapist"), ("педиатору", "pediatrician"),
    ("окулисут", "ophthalmologist"),
])
def test_a_misspelt_specialty_is_still_read(text, code):
    assert find_specialty(text) == code


def test_a_specialty_said_not_to_be_it_does_not_count():
    assert find_specialty("not the dentist, the surgeon") == "surgeon"
    assert find_specialty("не к хирургу, а к урологу") == "urologist"


@pytest.mark.parametrize("text", ["a doctor please", "i feel unwell", "hello", "", "записаться"])
def test_no_specialty_is_none(text):
    assert find_specialty(text) is None


@pytest.mark.parametrize("text", ["a neurologist for my back", "к неврологу", "cardiologist",
                                  "к кардиологу нужно"])
def test_a_specialist_seen_with_a_referral_is_told_apart(text):
    assert needs_referral(text)
    assert find_specialty(text) in (None, "pediatrician")  # never a bookable one instead


def test_a_bookable_specialty_needs_no_referral():
    assert not needs_referral("the urologist")
    assert not needs_referral("a neurologist, or else the GP")


def test_a_policy_number_is_found_inside_a_sentence_as_the_card_prints_it():
    number = with_check_digit("770123456789012")
    grouped = shown_policy(number)
    assert grouped == f"{number[:4]} {number[4:8]} {number[8:12]} {number[12:]}"
    assert policy_in(f"sure, it's {grouped} thanks") == number
    spelt_out = number.replace("", " ").strip()  # digit by digit
    assert policy_in(f"полис {spelt_out}") == number
    assert policy_in(f"{number[:4]}  {number[4:]}") is None  # two spaces: two numbers
    assert policy_in(f"{number[:8]}-{number[8:]}") == number
    assert policy_in(number + "1") is None and policy_in(number[:-1]) is None
    assert digits_in("7700 1234 5678 901") == 15 and digits_in("no idea") == 0


@pytest.mark.parametrize(("text", "cancel"), [
    ("please cancel the dentist", True), ("i can't make it on friday", True),
    ("won't be able to come tomorrow", True), ("call off my appointment", True),
    ("не смогу прийти к окулисту", True), ("отмените запись", True), ("сдать талон", True),
    ("when am i booked to see the doctor", False), ("list my appointments", False),
    ("на какое число я записан", False), ("какие у меня записи", False),
])
def test_asking_to_cancel_is_told_from_asking_to_see(text, cancel):
    assert wants_cancel(text) is cancel


@pytest.mark.parametrize(("text", "meant"), [
    ("yes, cancel it", True), ("go on, cancel", True), ("отменяйте", True),
    ("no, keep it", False), ("don't cancel it", False), ("нет, оставьте", False),
    ("не отменяйте", False), ("yes", None), ("hmm", None),
])
def test_the_answer_to_cancel_this_appointment_in_words(text, meant):
    assert cancel_meant(text) is meant


@pytest.mark.parametrize(("text", "meant"), [
    ("book it", True), ("yes, book me in", True), ("записывайте", True),
    ("don't book it yet", False), ("не надо записывать", False), ("ok", None),
])
def test_the_answer_to_book_this_appointment_in_words(text, meant):
    assert booking_meant(text) is meant


def _at(day: int, hour: int, minute: int, specialty: str = "") -> Choice:
    return Choice(f"{day}-{hour:02d}{minute:02d}", datetime(2026, 12, day, hour, minute,
                                                            tzinfo=MOSCOW), specialty)


OFFERED = [_at(3, 14, 20), _at(3, 15, 0), _at(4, 9, 20), _at(4, 11, 0), _at(7, 9, 20),
           _at(7, 17, 40)]


@pytest.mark.parametrize(("text", "chosen"), [
    ("tomorrow afternoon", "3-1420"),
    ("friday morning", "4-0920"),
    ("the 11:00 one", "4-1100"),
    ("3pm", "3-1500"),
    ("at 3 pm tomorrow", "3-1500"),
    ("Mon 7 Dec, 17:40", "7-1740"),
    ("4 december at 9.20", "4-0920"),
    ("the second one", "3-1500"),
    ("the last", "7-1740"),
    ("the first one on monday", "7-0920"),
    ("in the evening", "7-1740"),
    ("завтра в 15:00", "3-1500"),
    ("в пятницу утром", "4-0920"),
    ("ближайший", "3-1420"),
    ("вариант 4", "4-1100"),
])
def test_a_typed_time_picks_the_slot_it_means(text, chosen):
    assert choose(text, OFFERED, TODAY) == chosen


@pytest.mark.parametrize("text", [
    "the 9:20 one",  # on friday and on monday: which?
    "thursday at 9:20",  # thursday has no 9:20
    "saturday",  # nothing offered on saturday
    "the seventh one",
    "whenever",
    "",
])
def test_a_typed_time_that_cannot_tell_picks_nothing(text):
    assert choose(text, OFFERED, TODAY) is None


def test_an_appointment_is_picked_by_its_specialty():
    mine = [_at(3, 14, 20, "dentist"), _at(4, 9, 20, "ophthalmologist")]
    assert choose("cancel the eye doctor", mine, TODAY) == "4-0920"
    assert choose("стоматолога отмените", mine, TODAY) == "3-1420"


@pytest.mark.parametrize(("text", "asks"), [
    ("my eyes itch all week, could I get an appointment with the eye doctor?", True),
    ("my girl is coughing, she needs to see a doctor", True),
    ("need to see the ENT, my ears hurt", True),
    ("у сына кашель, хочу записать его к врачу", True),
    ("can I book a table for two tonight", False),
    ("I want to see the Bolshoi theatre", False),
    ("my doctor told me to rest, is that right?", False),
    ("как записаться в бассейн", False),
])
def test_a_doctor_asked_for_in_a_message_about_symptoms(text: str, asks: bool) -> None:
    assert asks_for_a_doctor(text) is asks


@pytest.mark.parametrize(("text", "booked"), [
    ("when is my dentist appointment?", True),
    ("which appointments do I have this month", True),
    ("какие у меня записи в поликлинику", True),
    ("I need an appointment with the eye doctor", False),
    ("запишите меня к окулисту", False),
])
def test_asking_what_is_booked_is_told_from_asking_for_an_appointment(
        text: str, booked: bool) -> None:
    assert asks_what_is_booked(text) is booked
