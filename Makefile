# citybot: `make up` runs the whole stack, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PYTHON310 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.10.*/bin/python3.10) $(shell command -v python3.10 2>/dev/null))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EMULATOR := tests/e2e/telegram/emulator
EMULATOR_STAMP := $(EMULATOR)/node_modules/.installed
AXE := tests/e2e/web/axe
AXE_STAMP := $(AXE)/node_modules/.installed
# The browser tests drive Debian's Chromium (never a downloaded browser).
CHROMIUM := /usr/bin/chromium
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
HAPROXY := /usr/sbin/haproxy
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: install up test test-unit test-integration test-e2e test-conversations test-faults test-scaleout train lint bench clean emulator browser balancer

# requirements.lock: what runs and trains (the model's fingerprint covers it);
# requirements-dev.lock: tests, linter, fuzzers (no retraining when they change).
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (looked in $(PYENV_ROOT)/versions and PATH)"; exit 1; }
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install -q "pip==23.3.2"
	$(PY) -m pip install -q -r requirements.lock -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@

install: $(STAMP)

# telegram-test-api (the Bot API emulator of the Telegram tests), into the project, not globally.
$(EMULATOR_STAMP): $(EMULATOR)/package.json $(EMULATOR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the Telegram tests need Node 20 and npm"; exit 1; }
	cd $(EMULATOR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

emulator: $(EMULATOR_STAMP)

# Chromium from Debian and axe-core from npm, for the widget's browser tests.
# (and an emoji font: the screenshots in docs/ show what a citizen's browser shows).
$(CHROMIUM) $(EMOJI_FONT):
	@command -v apt-get >/dev/null || { echo "apt-get not found: install chromium and fonts-noto-color-emoji"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-color-emoji

$(AXE_STAMP): $(AXE)/package.json $(AXE)/package-lock.json
	cd $(AXE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

browser: $(CHROMIUM) $(EMOJI_FONT) $(AXE_STAMP)

# HAProxy from Debian: the load balancer of the scaled setup (`citybot up --servers N`).
$(HAPROXY):
	@command -v apt-get >/dev/null || { echo "apt-get not found: install haproxy"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy

balancer: $(HAPROXY)

train: install
	$(VENV)/bin/citybot train

up: install
	$(VENV)/bin/citybot up

lint: install
	$(VENV)/bin/ruff check bot actions connectors tests

# The unit tests need no model: they run while it trains.
test: install emulator browser balancer
	$(MAKE) lint
	$(MAKE) -j2 train test-unit
	$(PY) -m pytest -q -p no:cacheprovider tests/integration tests/e2e
	$(MAKE) test-conversations
	$(MAKE) test-faults
	$(MAKE) test-scaleout

test-unit: install balancer
	$(PY) -m pytest -q -p no:cacheprovider tests/unit

test-integration: install train
	$(PY) -m pytest -q tests/integration

test-e2e: install train emulator browser
	$(PY) -m pytest -q tests/e2e

# Processes SIGKILLed and the tracker database locked under a 50-citizen load (docs/faults.md).
test-faults: install train
	$(PY) -m pytest -q -p no:cacheprovider -rxX tests/faults

test-conversations: install train
	$(VENV)/bin/rasa test core --model models/citybot.tar.gz \
		--stories tests/conversations/stories --fail-on-prediction-errors --out var/results/conversations

# Two Rasa servers behind HAProxy on the machine's PostgreSQL, Redis and RabbitMQ (docs/operations.md).
test-scaleout: install train balancer emulator
	$(PY) -m pytest -q -p no:cacheprovider tests/scaleout

# citybot against stock Rasa's starter assistant in the same run (docs/performance.md):
# BENCH_ARGS="--train" times both trainings too; "--ws" drives the web chat socket as well.
BENCH_ARGS ?=
bench: install train
	$(PY) -m bench $(BENCH_ARGS)

# The long fuzz run (make test runs each with a few examples): schemathesis over every operation
# of the sandbox's OpenAPI document, Hypothesis over the web chat socket and Telegram updates
# (FUZZ_EXAMPLES per property), then FUZZ_MESSAGES generated citizen messages through REST
# against the real stack. CITYBOT_FUZZ_SEED replays a run; figures in docs/security.md.
FUZZ_EXAMPLES ?= 500
FUZZ_MESSAGES ?= 10000
.PHONY: fuzz
fuzz: install train
	CITYBOT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider \
		tests/unit/sandbox/test_fuzz_openapi.py tests/unit/test_webchat_fuzz.py \
		tests/unit/test_telegram_fuzz.py
	CITYBOT_FUZZ_MESSAGES=$(FUZZ_MESSAGES) $(PY) -m pytest -q -s -p no:cacheprovider \
		tests/integration/test_rest_fuzz.py

clean:
	rm -rf var/results .pytest_cache
