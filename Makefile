# Course repository: `make lab` to work, `make test` to check everything.
# Every target installs what it needs into .venv first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ASSIGNMENT ?=

# Jupyter, IPython and matplotlib keep their state inside the repository.
STATE := $(CURDIR)/.jupyter
export JUPYTER_CONFIG_DIR  := $(STATE)/config
export JUPYTER_DATA_DIR    := $(STATE)/data
export JUPYTER_RUNTIME_DIR := $(STATE)/runtime
export IPYTHONDIR          := $(STATE)/ipython
export MPLCONFIGDIR        := $(STATE)/matplotlib

# Tools that nbgrader and jupyter start (alembic, the kernel) come from .venv.
export PATH := $(CURDIR)/$(BIN):$(PATH)

# jupyter refuses to run as root without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

JOBS ?=

.PHONY: lab test release validate reference grade samples demo bench bench-grading clean help

help:
	@echo "make lab        open JupyterLab on assignments/ (installs .venv first)"
	@echo "make test       run the whole test suite"
	@echo "make release    regenerate assignments/ from solutions/ with nbgrader"
	@echo "make validate   solutions pass all tests, released stubs fail them"
	@echo "make reference  recompute the checks' reference values from solutions/"
	@echo "make grade ASSIGNMENT=a1_linear [JOBS=2]"
	@echo "                grade submitted/*/ASSIGNMENT: autograde, integrity pass, report"
	@echo "make demo [ASSIGNMENT=a2_neural_net]"
	@echo "                release, sample submissions, grade, report, all in .demo/ASSIGNMENT/"
	@echo "make bench      print the speed ratios of the vectorised code"
	@echo "make bench-grading   submissions per minute vs sequential nbgrader"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cs231n)"
	$(BIN)/jupyter labextension list
	touch $(STAMP)

lab: $(STAMP)
	cd $(CURDIR) && $(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=$(CURDIR)/assignments

test: $(STAMP)
	$(BIN)/python -m pytest

release: $(STAMP)
	$(BIN)/cs231n-course release $(ASSIGNMENT)

validate: $(STAMP)
	$(BIN)/cs231n-course validate $(ASSIGNMENT)

reference: $(STAMP)
	$(BIN)/cs231n-course reference $(ASSIGNMENT)

grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=a1_linear [JOBS=N]"; exit 2; }
	$(BIN)/cs231n-course grade $(ASSIGNMENT) $(if $(JOBS),--jobs $(JOBS),)

samples: $(STAMP)
	$(BIN)/cs231n-course samples $(or $(ASSIGNMENT),a1_linear)

demo: $(STAMP)
	$(BIN)/cs231n-course demo $(or $(ASSIGNMENT),a1_linear) $(if $(JOBS),--jobs $(JOBS),)

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench_linear.py
	$(BIN)/python tests/benchmarks/bench_neural_net.py
	$(BIN)/python tests/benchmarks/bench_optim.py

bench-grading: $(STAMP)
	$(BIN)/python tests/benchmarks/bench_grading.py

clean:
	rm -rf $(VENV) $(STATE) .pytest_cache .demo
