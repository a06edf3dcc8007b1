# The README's two commands: `make run` (main job, embedded default config) and `make test`.
# Each sets up .venv on a fresh machine first; nothing else needs installing by hand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all
# Extra Snakemake arguments, e.g. SMK_ARGS="--configfile config/paper.yaml"
SMK_ARGS ?=
# The report: .html is one self-contained page; .zip (for the paper preset's many figures,
# as the Snakemake docs recommend) is a folder with report.html and the figures beside it.
REPORT ?= results/report.html
STAMP := $(VENV)/.installed
PY_DIRS := src tests benchmarks workflow/scripts
# Concurrent GPU-marked jobs: one per visible GPU; on a CPU-only machine training jobs
# share the cores instead (each uses its rule's threads), so allow one per core.
GPU_SLOTS ?= $(shell n=$$(nvidia-smi -L 2>/dev/null | grep -c '^GPU'); [ "$$n" -gt 0 ] && echo $$n || nproc)

# The SLURM executor plugin for the SLURM tests, kept out of the venv's site-packages (see the
# `slurm` extra in pyproject.toml): only the SLURM tests put it on PYTHONPATH.
SLURM_PLUGIN := $(VENV)/slurm-plugin

.PHONY: setup setup-slurm run test lint report lock readme-table clean-venv gpu-check job-times own-data

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch pinned to the CPU build on local disk here; constraints.txt pins everything else.
	$(BIN)/python -m pip install --quiet -c constraints.txt "torch==2.13.0" -e ".[workflow,dev]"
	touch $(STAMP)

setup: $(STAMP)

$(SLURM_PLUGIN)/.installed: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt --target $(SLURM_PLUGIN) \
		snakemake-executor-plugin-slurm snakemake-executor-plugin-slurm-jobstep
	touch $@

# Cluster route: the plugin in the venv itself (a cluster's controller answers at once).
setup-slurm: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[workflow,slurm]"

run: $(STAMP)
	$(BIN)/python -m physlens.config syntax $(SMK_ARGS)
	$(BIN)/snakemake --cores $(CORES) --workflow-profile profiles/default --resources gpu=$(GPU_SLOTS) $(SMK_ARGS)

test: $(STAMP) $(SLURM_PLUGIN)/.installed
	$(BIN)/python -m pytest

# physlens as a Snakemake module on data it does not make (docs/examples/own-data).
own-data: $(STAMP)
	cd docs/examples/own-data && $(CURDIR)/$(BIN)/snakemake --cores $(CORES) $(SMK_ARGS)

# GPU readiness: training rules on CUDA vs CPU, CUDA throughput (exits 3 without a GPU).
gpu-check: $(STAMP)
	benchmarks/gpu_check.sh

# Where a finished run's time went: total job time, critical path, top rules.
job-times: $(STAMP)
	$(BIN)/python benchmarks/job_times.py $(if $(SMK_ARGS),-- $(SMK_ARGS))

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/ruff check $(PY_DIRS)

report: $(STAMP)
	$(BIN)/python -m physlens.config syntax $(SMK_ARGS)
	$(BIN)/snakemake --cores $(CORES) --workflow-profile profiles/default --report $(REPORT) $(SMK_ARGS)

readme-table: $(STAMP)
	$(BIN)/python -m physlens.summary readme results/summary.json README.md

lock: $(STAMP)
	{ head -2 constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | sed 's/+cpu//'; } > constraints.txt.new && mv constraints.txt.new constraints.txt

clean-venv:
	rm -rf $(VENV)
