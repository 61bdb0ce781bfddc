# The project's commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
RASA_PY := $(RASA_VENV)/bin/python
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
DEMO_DB := var/demo.db
# CREDIT_DEMO=1: the demo runs with the public dev-… tokens, which the backend otherwise refuses.
DEMO_ENV := CREDIT_DEMO=1 CREDIT_DATABASE_URL=sqlite:///$(CURDIR)/$(DEMO_DB)

# Rasa 3.6 needs Python 3.10: `python3.10` on PATH (if it really runs), else the newest pyenv 3.10.
PY310 ?= $(shell for c in python3.10 $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V | tail -n 1); do \
	"$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)

# The domain is a directory: domain/domain.yml (hand-written) and domain/flows.generated.yml (make flows).
RASA_SOURCES := config.yml $(shell find domain data -type f 2>/dev/null) $(shell find assistant_nlu -name '*.py' 2>/dev/null) assistant_core/importer.py assistant_core/policies.py assistant_core/rasa_compat.py
MODEL := models/assistant.tar.gz
# The browser of the console's tests: Debian's chromium package, never a downloaded one.
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install test test-without-model test-with-model test-backend test-sqlite test-postgres test-telegram test-wechat test-rasa test-telegram-rasa test-wechat-rasa test-security test-console test-assistant test-training test-contract lint \
	flows validate train evaluate demo demo-data up down telegram wechat console jobs bench bench-archive bench-backend bench-console clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

install: $(VENV)/.installed $(RASA_VENV)/.installed ## build both environments (fast when nothing changed)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "Python >= 3.10 is needed as '$(PYTHON)' (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[backend,telegram,console,wechat,dev]'
	touch $@

$(RASA_VENV)/.installed: pyproject.toml
	@test -n "$(PY310)" || { echo "Rasa 3.6 needs Python 3.10, which was not found on PATH or under pyenv."; \
		echo "Install it, e.g. 'pyenv install 3.10', or run: make install PY310=/path/to/python3.10"; exit 1; }
	test -x $(RASA_PY) || $(PY310) -m venv $(RASA_VENV)
	$(RASA_PY) -m pip install -q --upgrade 'pip<25'
	$(RASA_PY) -m pip install -q -e '.[rasa]' 'pytest>=8,<9'  # pytest 9 needs packaging>=24; Rasa pins <21
	touch $@

# `make test` runs two lines of work side by side on two cores, each suite in a line one after the other: the model's
# training beside the suites that need no model, then test-retrain (which trains a model of its own) beside the other
# suites that need the model. A training alone leaves about a quarter of two cores idle, and the suites are alone
# on their databases, Redis databases and ports (free ports), so neither line waits for the other. Each line's
# output is printed when it ends. On the machine of 30 Nov 2026 (a fresh clone, `CI=true bash .ci/run`): one after
# the other, more than 102 minutes (test-retrain unfinished, test-cluster not reached); side by side, 61 minutes; on
# the slower machine of that evening, 82 minutes (training 37, test-retrain 39 of them: the longest line).
test: install lint validate ## run every test suite (README: the test command)
	$(MAKE) --no-print-directory -j2 --output-sync=target $(MODEL) test-without-model
	$(MAKE) --no-print-directory -j2 --output-sync=target test-retrain test-with-model

test-without-model: ## the suites that need no model, one after the other
	$(MAKE) --no-print-directory -j1 test-backend test-contract test-telegram test-wechat

test-with-model: $(MODEL) ## the suites that need the model, one after the other (test-retrain apart)
	$(MAKE) --no-print-directory -j1 test-rasa test-telegram-rasa test-wechat-rasa test-security test-console \
		test-assistant test-training test-cluster

test-backend: test-sqlite test-postgres ## backend suite on SQLite and on PostgreSQL

test-sqlite: $(VENV)/.installed
	CREDIT_TEST_DATABASE=sqlite $(PY) -m pytest tests/backend -q -p no:cacheprovider

test-postgres: $(VENV)/.installed
	@$(PY) -c "import sqlalchemy as sa; sa.create_engine('$(TEST_POSTGRES_URL)').connect().close()" 2>/dev/null || { \
		echo "PostgreSQL is not reachable at $(TEST_POSTGRES_URL); start it or set TEST_POSTGRES_URL."; exit 1; }
	CREDIT_TEST_DATABASE=postgres TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest tests/backend -q -p no:cacheprovider

test-contract: $(VENV)/.installed ## schemathesis: every OpenAPI operation fuzzed against a real backend process
	$(PY) -m pytest tests/contract -q -p no:cacheprovider

test-telegram: $(VENV)/.installed ## Telegram bridge: mapping, notifier and fake-Bot-API end-to-end tests
	$(PY) -m pytest tests/telegram -q -p no:cacheprovider -m "not rasa_e2e"

test-rasa: validate $(MODEL) ## Rasa: data validation, NLU components, evaluation goals, test stories, actions
	mkdir -p results
	$(RASA_PY) -m pytest tests/nlu tests/core -q -p no:cacheprovider
	@# The goal is intent accuracy 0.96 on each held-out set (issue 13); the model of 2026-12-01 (ensemble weight 0.8,
	@# fallback 0.3 / 0.05) gives 0.990 (eval_intents), 0.983 (eval_faq), 0.984 (eval_personas), 0.973 (eval_scenarios),
	@# 0.980 (eval_hotline), 0.968 (eval_names) and 0.908 (eval_grid, the newest, written by a designed grid and never
	@# looked at for training), so CI guards against regressions at 0.94 per set and 0.88 on eval_grid. Two trainings of
	@# the same data and settings on two machines differed by up to 0.016 on one set, and changing two training examples
	@# moved a set by up to 0.015; two trainings of the same data on one machine gave the same.
	@# The same process (one model load) runs the test stories, `rasa test core` as Rasa runs it; --check fails on a failed story.
	$(RASA_PY) scripts/nlu_eval.py --model $(MODEL) --check --min-intent-accuracy 0.94 eval_grid.yml=0.88 --show-errors 0 --json results/nlu_eval.json \
		--stories tests/stories --stories-out results/core
	$(RASA_PY) -m pytest tests/actions -q -p no:cacheprovider

test-telegram-rasa: $(VENV)/.installed $(MODEL) ## the Telegram bridge end to end with the real Rasa model
	$(PY) -m pytest tests/telegram -q -p no:cacheprovider -m rasa_e2e

test-wechat: $(VENV)/.installed ## WeChat channel: mapping, state, fake-platform end-to-end tests (Redis db 10)
	$(PY) -m pytest tests/wechat -q -p no:cacheprovider -m "not rasa_e2e"

test-wechat-rasa: $(VENV)/.installed $(MODEL) ## the WeChat channel end to end with the real Rasa model
	$(PY) -m pytest tests/wechat -q -p no:cacheprovider -m rasa_e2e

test-security: $(VENV)/.installed $(RASA_VENV)/.installed $(MODEL) ## the attacks of docs/security.md against the stack of `make up`
	$(PY) -m pytest tests/security -q -p no:cacheprovider

test-assistant: $(VENV)/.installed $(RASA_VENV)/.installed $(MODEL) ## names as users write them: 200+ demo entities by full name and without the region prefix through the real assistant (Redis db 14)
	$(PY) -m pytest tests/assistant -q -p no:cacheprovider

test-training: $(VENV)/.installed $(RASA_VENV)/.installed $(MODEL) ## annotation, personal-data scrubbing, test stories from conversations (Rasa validate + story replay)
	$(PY) -m pytest tests/training -q -p no:cacheprovider -k "not rasa"
	$(RASA_PY) -m pytest tests/training -q -p no:cacheprovider -k rasa

test-console: $(VENV)/.installed $(RASA_VENV)/.installed $(MODEL) ## the staff console in Debian's chromium (Playwright) against the real stack; screenshots in var/screenshots/console/
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: apt-get install chromium fonts-noto-cjk (.ci/run does)."; exit 1; }
	CONSOLE_CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/console -q -p no:cacheprovider

.PHONY: retrain rollback test-retrain

retrain: $(RASA_VENV)/.installed ## validate, train, evaluate; promote only a model not worse than the one in service (models/registry)
	$(RASA_PY) -m training.retrain run

rollback: $(RASA_VENV)/.installed ## put the previously promoted model back in service (Rasa's workers switch at their next pull)
	$(RASA_PY) -m training.retrain rollback

test-retrain: $(VENV)/.installed $(RASA_VENV)/.installed $(MODEL) ## the gate, the registry, one real retrain refused, a promotion during 16 conversations (Redis db 13)
	$(PY) -m pytest tests/retrain -q -p no:cacheprovider

flows: ## regenerate the forms and form rules declared in actions/flows/ (domain/, data/rules/)
	$(PYTHON) -m actions.flows generate

validate: $(RASA_VENV)/.installed ## generated flow files up to date, then rasa data validate (warnings fail)
	$(RASA_PY) -m actions.flows --check
	$(RASA) data validate --domain domain --fail-on-warnings

train: $(MODEL) ## train the Rasa model (skipped when data and config are unchanged)

$(MODEL): $(RASA_SOURCES) | $(RASA_VENV)/.installed
	$(RASA_PY) -m actions.flows --check
	$(RASA) train --domain domain --out models --fixed-model-name assistant
	touch $@

.PHONY: evaluate-nlu evaluate-task-start evaluate-cv

evaluate: evaluate-nlu evaluate-task-start evaluate-cv ## every NLU figure: held-out sets, task start (real assistant), cross-validation

evaluate-nlu: $(MODEL) ## intent accuracy, macro-F1, FAQ topic accuracy, entity F1 on each held-out set and all together
	$(RASA_PY) scripts/nlu_eval.py --model $(MODEL)

evaluate-task-start: $(VENV)/.installed $(MODEL) ## first messages through the real assistant: does the wanted service start? (Redis db 11)
	$(PY) scripts/task_start_eval.py

# Rasa's cross-validation of the NLU pipeline (config.yml, CV_EPOCHS epochs) on data/nlu: one model per fold,
# trained in turn, so it is the slowest part of `make evaluate`; `make evaluate-cv` runs it alone.
CV_FOLDS ?= 3
CV_EPOCHS ?= 60
evaluate-cv: $(RASA_VENV)/.installed ## Rasa's NLU cross-validation (CV_FOLDS=3 folds, CV_EPOCHS=60) on data/nlu; reports in results/cv
	$(RASA_PY) scripts/nlu_eval.py --write-cv-config results/cv/config.yml --cv-epochs $(CV_EPOCHS)
	$(RASA) test nlu --nlu data --domain domain --config results/cv/config.yml --cross-validation --folds $(CV_FOLDS) --out results/cv --no-plot
	$(RASA_PY) scripts/nlu_eval.py --cv-summary results/cv

telegram: $(VENV)/.installed ## run the Telegram bridge (needs TELEGRAM_BOT_TOKEN; see docs/telegram.md)
	@test -n "$$TELEGRAM_BOT_TOKEN" || { echo "Set TELEGRAM_BOT_TOKEN (create a bot with @BotFather, see docs/telegram.md)"; exit 1; }
	$(PY) -m bot.telegram

wechat: $(VENV)/.installed ## run the WeChat channel (needs WECHAT_TOKEN, WECHAT_APPID, WECHAT_APPSECRET; see docs/wechat.md)
	@test -n "$$WECHAT_APPID" || { echo "Set WECHAT_TOKEN, WECHAT_APPID and WECHAT_APPSECRET (a 公众号 or the test account, see docs/wechat.md)"; exit 1; }
	$(PY) -m bot.wechat

console: $(VENV)/.installed ## start the staff console alone in the background (port CONSOLE_PORT, 8600; `make up` starts it with the rest)
	$(DEMO_ENV) $(PY) -m bot.runner up console

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check .

$(DEMO_DB): | $(VENV)/.installed
	$(DEMO_ENV) $(PY) -m credit_backend.demo.cli --reset --entities 2000

demo-data: ## (re)generate the demo city in var/demo.db
	$(DEMO_ENV) $(PY) -m credit_backend.demo.cli --reset --entities 2000

up: install $(DEMO_DB) $(MODEL) ## start backend, action server and Rasa in the background (waits until healthy)
	$(DEMO_ENV) $(PY) -m bot.runner up

down: ## stop what `make up` started
	$(PY) -m bot.runner down

demo: up ## run everything on the demo data and chat in the terminal
	$(DEMO_ENV) $(PY) -m bot.chat

jobs: $(VENV)/.installed ## run the daily jobs once for today on the demo database (README: Daily jobs, the cron line)
	$(DEMO_ENV) $(PY) -m credit_backend.jobs daily

bench: install $(DEMO_DB) $(MODEL) ## benchmark the assistant through the REST channel (greet vs query, 16 concurrent)
	$(DEMO_ENV) $(PY) scripts/bench_assistant.py

bench-archive: install $(DEMO_DB) $(MODEL) ## the conversation archive's cost: make bench's concurrent run with the archive off and on, alternating
	$(DEMO_ENV) $(PY) scripts/bench_archive.py

bench-backend: $(VENV)/.installed ## benchmark profile lookups and name search on 1,000,000 entities
	$(PY) -m credit_backend.bench.backend

bench-console: $(VENV)/.installed ## benchmark the console's work queue and case view with 100,000 applications on PostgreSQL
	$(PY) scripts/bench_console.py

clean: ## remove environments, models and local data
	rm -rf $(VENV) $(RASA_VENV) models var .pytest_cache .ruff_cache

# More than one machine (issue 16, docs/cluster.md): replicas behind HAProxy with the cluster's own Redis and
# PostgreSQL in var/cluster/ (ports 7100–7133; the tests' cluster uses 7150–7183 and var/cluster-test/).
.PHONY: up-cluster down-cluster bench-cluster test-cluster check-deploy

up-cluster: install $(MODEL) ## start CLUSTER_RASA/ACTIONS/BACKENDS (2 each) replicas behind HAProxy, own Redis and PostgreSQL (var/cluster/)
	$(PY) -m bot.cluster up

down-cluster: ## stop what `make up-cluster` started (CLUSTER_PURGE=1: also delete var/cluster/)
	$(PY) -m bot.cluster down $(if $(CLUSTER_PURGE),--purge)

bench-cluster: install $(MODEL) ## messages/s, p50/p95 and cost per turn through the proxy with one and with two Rasa servers
	$(PY) scripts/bench_cluster.py

check-deploy: $(VENV)/.installed ## validate deploy/: HAProxy configs, systemd units, compose file, Kubernetes manifests
	bash deploy/check.sh

test-cluster: check-deploy $(RASA_VENV)/.installed $(MODEL) ## the cluster: topology, ordering across Rasa servers, faults (ports 7150–7183)
	$(PY) -m pytest tests/cluster -q -rP -p no:cacheprovider  # -rP: each test prints the counts it checked

# What the serving stack holds in memory (issue 13, docs/memory.md): PSS per service and in total, goal < 2.5 GB.
.PHONY: bench-memory

bench-memory: install $(DEMO_DB) $(MODEL) ## memory of the stack of `make up` (started if needed) after a warm-up: PSS per service and in total (goal < 2.5 GB)
	$(DEMO_ENV) $(PY) scripts/bench_memory.py --per-process
