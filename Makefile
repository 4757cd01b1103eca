# voicetrainer: `make demo` sets up and holds an offline mock call; `make serve` starts the web app; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out/angry_refund_good

.PHONY: setup setup-test demo serve test bench detectors clean

$(STAMP): pyproject.toml
	scripts/system-deps.sh run
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --disable-pip-version-check -e '.[piper,serve,test]'
	touch $(STAMP)

setup: $(STAMP)

setup-test: setup
	scripts/system-deps.sh test

demo: setup
	rm -rf $(DEMO_OUT)
	$(BIN)/voicetrainer call --persona angry_refund --caller scripted \
	  --agent-audio tests/fixtures/calls/angry_refund_good --out $(DEMO_OUT)

serve: setup
	$(BIN)/voicetrainer serve

test: setup-test
	$(BIN)/python -m pytest -q

# The last line of `make bench` is one JSON object; tests/test_bench.py runs each script with --quick.
bench: setup
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/grade.py
	$(BIN)/python bench/turn_ends.py
	$(BIN)/python bench/behaviours.py

# Rebuild the learned behaviour heads from the labelled corpus (seeded: the same lines give the same file).
detectors: setup
	$(BIN)/voicetrainer behaviours train

clean:
	rm -rf $(VENV) demo-out sessions .pytest_cache
