# One task runner for people and CI. Every target creates and reuses the virtual environment by itself.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.9.30
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON := $(PYTHON)

PHONY: install up test jstest pytest lint format typecheck bench lock clean infra-lint deploy destroy

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

install: $(VENV)/.synced

## Run the whole product on 127.0.0.1 (embedded, no Docker, state in memory). Ctrl-C stops it.
## Other ports: make up PORT=8080 AWS_PORT=4576 RECOGNIZER_PORT=4577 (or IMGREC_PORT=... in the environment);
## RATE_LIMIT=n: API requests per minute per caller (default 600); WORKERS=n: worker processes (default: 2 per core, at most 10).
up: install
	$(PY) -m local_stack $(if $(PORT),--port $(PORT)) $(if $(AWS_PORT),--aws-port $(AWS_PORT)) \
	  $(if $(RECOGNIZER_PORT),--recognizer-port $(RECOGNIZER_PORT)) $(if $(RATE_LIMIT),--rate-limit $(RATE_LIMIT)) \
	  $(if $(WORKERS),--workers $(WORKERS))

## The whole gate: lint, types, then every test tier that runs offline.
test: lint typecheck jstest pytest

## The web app's pure modules, with Node's own test runner.
## Without Node.js they skip and say so, except in CI (CI=true), whose .ci/run installs it.
jstest:
	@if command -v node >/dev/null; then node --test tests/js/*.test.js; \
	elif [ "$$CI" = true ]; then echo "jstest: node is required in CI" >&2; exit 1; \
	else echo "jstest: skipped, Node.js is not installed (apt-get install nodejs to run the web app's unit tests)"; fi

pytest: install
	$(PY) -m pytest

lint: install infra-lint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy

bench: install
	for script in bench/bench_*.py; do $(PY) $$script || exit 1; done

## Infrastructure checks, offline: SAM -> CloudFormation transform, cfn-lint on both, checkov,
## hadolint on both Dockerfiles, compose validation (docs/deploy.md).
CHECKOV := $(TOOLS)/checkov/bin/checkov
TRANSFORMED_TEMPLATE := .cache/infra/template.cfn.json

# checkov pins a boto3 that clashes with the project's: its own venv, exact pins, made once (uv: ~8 s cold).
$(CHECKOV): infra/checkov-requirements.txt | $(UV)
	rm -rf $(TOOLS)/checkov
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(UV) pip install --quiet --python $(TOOLS)/checkov/bin/python --requirement infra/checkov-requirements.txt
	touch $@

# The Lambda Runtime Interface Emulator (the binary the aws-sam-cli wheel carries, as in the AWS base images)
# and awslambdaric in a venv of their own: tests/infra run the compose invoke path with them, no Docker.
SAM_CLI_WHEEL_VERSION := 1.170.0
RIE_DIR := $(TOOLS)/rie
RIE := $(RIE_DIR)/aws-lambda-rie

$(RIE): infra/rie-requirements.txt | $(UV)
	rm -rf $(RIE_DIR)
	$(PYTHON) -m venv $(RIE_DIR)/venv
	$(UV) pip install --quiet --python $(RIE_DIR)/venv/bin/python --requirement infra/rie-requirements.txt
	$(RIE_DIR)/venv/bin/python -m pip download --quiet --no-deps --only-binary=:all: \
	  --dest $(RIE_DIR)/wheel aws-sam-cli==$(SAM_CLI_WHEEL_VERSION)
	arch=$$(uname -m | sed 's/aarch64/arm64/') && $(PYTHON) -c 'import sys, zipfile; \
	  open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read("samcli/local/rapid/aws-lambda-rie-" + sys.argv[2]))' \
	  $(RIE_DIR)/wheel/aws_sam_cli-$(SAM_CLI_WHEEL_VERSION)-py3-none-any.whl "$$arch" $@.partial
	chmod +x $@.partial && mv $@.partial $@ && rm -rf $(RIE_DIR)/wheel

infra-lint: install $(CHECKOV) $(RIE)
	$(PY) infra/sam_transform.py infra/template.yaml --output $(TRANSFORMED_TEMPLATE)
	$(VENV)/bin/cfn-lint infra/template.yaml $(TRANSFORMED_TEMPLATE)
	BC_SKIP_MAPPING=TRUE $(CHECKOV) --quiet --compact --skip-download --framework cloudformation --file infra/template.yaml
	$(VENV)/bin/hadolint --failure-threshold warning Dockerfile infra/local.Dockerfile
	$(VENV)/bin/docker-compose --file compose.yaml config --quiet

## Deploy to / remove from your AWS account (needs the AWS CLI, the SAM CLI and Docker: docs/deploy.md).
STACK_NAME ?= imgrec
SAM ?= sam
define require-deploy-tools
	@for tool in aws $(SAM) docker; do \
	  command -v $$tool >/dev/null || { echo "make $@ needs '$$tool' on PATH (AWS CLI, SAM CLI, Docker): see docs/deploy.md" >&2; exit 1; }; \
	done
endef

deploy:
	$(require-deploy-tools)
	cd infra && $(SAM) build
	@# First deploy of this stack name: guided (asks for parameters, saves them to infra/samconfig.toml).
	if aws cloudformation describe-stacks --stack-name $(STACK_NAME) >/dev/null 2>&1; then \
	  cd infra && $(SAM) deploy --stack-name $(STACK_NAME); \
	else \
	  cd infra && $(SAM) deploy --guided --stack-name $(STACK_NAME); \
	fi

destroy:
	$(require-deploy-tools)
	@# CloudFormation cannot delete a bucket that still holds objects: empty it first.
	bucket=$$(aws cloudformation describe-stacks --stack-name $(STACK_NAME) \
	  --query "Stacks[0].Outputs[?OutputKey=='BucketName'].OutputValue" --output text) && \
	if [ -n "$$bucket" ] && [ "$$bucket" != "None" ]; then aws s3 rm "s3://$$bucket" --recursive; fi
	cd infra && $(SAM) delete --stack-name $(STACK_NAME)

lock: | $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
