"""Generated citizen messages through the REST channel against the real stack: random unicode,
long pastes, markup, mixed scripts, control characters (issue 13). Every turn is answered, no
answer carries a stack trace, and neither Rasa nor the action server logs an exception.

``CITYBOT_FUZZ_MESSAGES`` sets how many (default 300 in ``make test``, always the same ones;
``make fuzz`` sends 10,000 new ones), ``CITYBOT_FUZZ_SEED`` the seed (printed, so a failing run
can be repeated).
"""

from __future__ import annotations

import os
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.integration.conftest import Stack

MESSAGES = int(os.environ.get("CITYBOT_FUZZ_MESSAGES", "300"))
PER_SENDER = 20  # turns of one generated conversation
CLIENTS = 4
TEXT_CHARS = 4096  # the REST channel's limit: the longest Telegram message

# (An account no other test uses and the city does not know: wrong flats for a real one would
# lock it for the hour, as they should.)
WORDS = ["pothole", "яма", "Tverskaya 12", "Тверская 12", "status", "заявка 100001", "meter",
         "счётчик", "7700999998", "yes", "нет", "help", "stop", "/greet", "/affirm", "привет",
         "mfc", "мфц", "passport", "hot water", "горячая вода", "street light", "👍", "🕳️"]
MARKUP = ["<script>alert(1)</script>", "<b>bold</b>", "**bold** _it_ `code`", "[link](http://x)",
          '{"intent": "greet"}', "'; DROP TABLE events; --", "${jndi:ldap://x/a}", "{{7*7}}",
          "%s%s%s%n", "../../etc/passwd", "\\u0000", "/restart", "/inform{\"problem_category\":1}",
          "/nlu_fallback", "/session_start", "/forget_me{\"x\":", "@channel", "#100001"]
SCRIPTS = [(0x0041, 0x007A), (0x0410, 0x044F), (0x0590, 0x05FF), (0x0600, 0x06FF),
           (0x4E00, 0x4FFF), (0x1F300, 0x1F6FF), (0x0300, 0x036F), (0x2000, 0x206F),
           (0x0000, 0x001F), (0xFFF0, 0xFFFD)]
# Rasa logs an ERROR for every button payload with JSON entities it tries to fill in as a
# template ('/inform{"problem_category":"snow"}') and then sends unchanged: noise, not a fault.
KNOWN_NOISE = ("rasa.core.nlg.interpolator",)
TRACE = re.compile(r"Traceback \(most recent call last\)|\bException\b|File \".*\", line \d+")


def _random_text(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:  # random code points from several scripts, controls and combining marks
        text = "".join(chr(rng.randint(*rng.choice(SCRIPTS))) for _ in range(rng.randint(1, 80)))
    elif kind == 1:  # a long paste
        text = " ".join(rng.choice(WORDS + MARKUP) for _ in range(rng.randint(200, 900)))
    elif kind == 2:  # markup and injection attempts
        text = " ".join(rng.choice(MARKUP) for _ in range(rng.randint(1, 4)))
    elif kind == 3:  # mixed scripts, as people write
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
    elif kind == 4:  # whitespace, punctuation, digits
        text = "".join(rng.choice(" \t\n.,!?-—…0123456789№#") for _ in range(rng.randint(1, 40)))
    else:  # zero-width and direction marks inside words
        text = "\u200b".join(rng.choice(WORDS)) + "\u202e" + rng.choice(WORDS)
    return text[:TEXT_CHARS]


def _conversation(stack: Stack, sender: str, texts: list[str]) -> list[str]:
    """The problems found in one conversation (an unanswered turn, a trace in an answer)."""
    problems = []
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack.token}"
    for text in texts:
        resp = session.post(f"{stack.rasa}/webhooks/rest/webhook",
                            json={"sender": sender, "message": text}, timeout=120)
        if resp.status_code != 200:
            problems.append(f"{sender}: {resp.status_code} for {text[:60]!r}")
            continue
        said = " ".join(str(m.get("text") or "") for m in resp.json())
        if TRACE.search(said):
            problems.append(f"{sender}: a trace in the answer to {text[:60]!r}: {said[:200]!r}")
        if not resp.json() and not stack.tracker(sender).get("paused"):
            problems.append(f"{sender}: no answer to {text[:60]!r}")
    return problems


def _log_errors(stack: Stack, since: dict[str, int]) -> list[str]:
    found = []
    for name, offset in since.items():
        with open(stack.var / "log" / f"{name}.log", encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            found += [f"{name}: {line.strip()}" for line in log
                      if ("Traceback" in line or " ERROR " in line or "Exception" in line)
                      and not any(noise in line for noise in KNOWN_NOISE)]
    return found


def test_generated_messages_are_all_answered_without_an_exception(healthy_city: Stack) -> None:
    # make test: one fixed seed (the same messages every run); make fuzz: a fresh one.
    fixed = "20261201" if "CITYBOT_FUZZ_MESSAGES" not in os.environ else str(int(time.time()))
    seed = int(os.environ.get("CITYBOT_FUZZ_SEED", fixed))
    print(f"CITYBOT_FUZZ_SEED={seed} CITYBOT_FUZZ_MESSAGES={MESSAGES}")
    rng = random.Random(seed)
    logs = {name: (healthy_city.var / "log" / f"{name}.log").stat().st_size
            for name in ("rasa", "actions")}
    conversations = [
        (f"fuzz-{seed}-{n}", [_random_text(rng) for _ in range(min(PER_SENDER, MESSAGES - start))])
        for n, start in enumerate(range(0, MESSAGES, PER_SENDER))
    ]
    began = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        problems = [p for found in pool.map(lambda c: _conversation(healthy_city, *c),
                                            conversations) for p in found]
    elapsed = time.monotonic() - began
    print(f"{MESSAGES} messages in {len(conversations)} conversations, {elapsed:.0f} s "
          f"({MESSAGES / elapsed:.1f} turns/s)")
    assert problems == [], f"seed {seed}: " + "\n".join(problems[:20])
    assert _log_errors(healthy_city, logs) == []
