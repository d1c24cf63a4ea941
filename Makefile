# Course repository: `make lab` to work, `make test` to check everything.
# Every target installs what it needs into .venv first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := $(VENV)/.kernel
# The course's kernel runs numpy with one BLAS thread: on a shared server
# beside other students' kernels, OpenBLAS threads spin against each other
# (tests/benchmarks/bench_busy.py measures it).
KERNEL_ENV := --env OPENBLAS_NUM_THREADS 1 --env OMP_NUM_THREADS 1 --env MKL_NUM_THREADS 1
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

JOBS ?=
SCHEDULER ?=

.PHONY: hub hub-stop lab test release validate reference grade samples demo bench bench-grading bench-cluster bench-busy clean help

help:
	@echo "make lab        open JupyterLab on .lab/, your own copy of assignments/"
	@echo "make test       run the whole test suite"
	@echo "make release    regenerate assignments/ from solutions/ with nbgrader"
	@echo "make validate   solutions pass all tests, released stubs fail them"
	@echo "make reference  recompute the checks' reference values from solutions/"
	@echo "make grade ASSIGNMENT=a1_linear [JOBS=2]"
	@echo "                grade submitted/*/ASSIGNMENT: autograde, integrity pass, report"
	@echo "make demo [ASSIGNMENT=a2_neural_net]"
	@echo "                release, sample submissions, grade, report, all in .demo/ASSIGNMENT/"
	@echo "make hub [STUDENTS=3] [PORT=8000]"
	@echo "                the course on a JupyterHub on this machine (as root): accounts, exchange"
	@echo "make hub-stop   stop it and every process of its accounts"
	@echo "make bench      print the speed ratios of the vectorised code"
	@echo "make bench-grading   submissions per minute vs sequential nbgrader"
	@echo "make bench-cluster   grading on Dask vs threads in one process; 1,000 students projected"
	@echo "make bench-busy      notebooks beside busy numpy processes vs their fair share"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	@# rfc3987-syntax (jsonschema's optional check of the "iri" format, which no
	@# Jupyter schema uses) builds 38 parsers when jsonschema is imported: 3 s of
	@# every nbgrader, nbconvert and Jupyter process (jsonschema issue 1428).
	@# jsonschema goes on without it; tests/test_environment.py checks both.
	$(BIN)/python -m pip uninstall -y rfc3987-syntax
	$(BIN)/jupyter labextension list
	touch $(STAMP)

$(KERNEL): $(STAMP) Makefile
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cs231n)" $(KERNEL_ENV)
	touch $(KERNEL)

# The proxy in front of JupyterHub, from the npm registry (cs231n/hub/package.json).
PROXY := .hub/proxy/node_modules/.bin/configurable-http-proxy
$(PROXY): cs231n/hub/package.json cs231n/hub/package-lock.json
	mkdir -p .hub/proxy && chmod 700 .hub
	cp cs231n/hub/package.json cs231n/hub/package-lock.json .hub/proxy/
	cd .hub/proxy && npm ci --no-audit --no-fund --loglevel=error
	touch $(PROXY)

STUDENTS ?= 3
PORT ?= 8000
hub: $(KERNEL) $(PROXY)
	$(BIN)/cs231n-course hub start --students $(STUDENTS) --port $(PORT)

hub-stop: $(STAMP)
	$(BIN)/cs231n-course hub stop

# Students work in .lab/, a private copy of assignments/ that release never
# touches; the server runs in the course root, where Validate finds
# nbgrader_config.py (cs231n/lab.py; it adds --allow-root for root itself).
lab: $(KERNEL)
	cd $(CURDIR) && $(BIN)/cs231n-course lab --root $(CURDIR)

# The hub's tests need the proxy (npm); without npm they are skipped, except in CI.
test: $(KERNEL)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(PROXY); \
	else echo "npm not found: the hub's tests will be skipped"; fi
	$(BIN)/python -m pytest

release: $(KERNEL)
	$(BIN)/cs231n-course release $(ASSIGNMENT)

validate: $(KERNEL)
	$(BIN)/cs231n-course validate $(ASSIGNMENT)

reference: $(KERNEL)
	$(BIN)/cs231n-course reference $(ASSIGNMENT)

grade: $(KERNEL)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=a1_linear [JOBS=N]" \
		"[SCHEDULER=tcp://HOST:PORT]"; exit 2; }
	$(BIN)/cs231n-course grade $(ASSIGNMENT) $(if $(JOBS),--jobs $(JOBS),) \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER),)

samples: $(KERNEL)
	$(BIN)/cs231n-course samples $(or $(ASSIGNMENT),a1_linear)

demo: $(KERNEL)
	$(BIN)/cs231n-course demo $(or $(ASSIGNMENT),a1_linear) $(if $(JOBS),--jobs $(JOBS),)

bench: $(KERNEL)
	$(BIN)/python tests/benchmarks/bench_linear.py
	$(BIN)/python tests/benchmarks/bench_neural_net.py
	$(BIN)/python tests/benchmarks/bench_optim.py
	$(BIN)/python tests/benchmarks/bench_deep_nets.py
	$(BIN)/python tests/benchmarks/bench_conv.py

bench-grading: $(KERNEL)
	$(BIN)/python tests/benchmarks/bench_grading.py

bench-cluster: $(KERNEL)
	$(BIN)/python tests/benchmarks/bench_cluster.py

bench-busy: $(KERNEL)
	$(BIN)/python tests/benchmarks/bench_busy.py

clean:
	rm -rf $(VENV) $(STATE) .pytest_cache .demo
