# One task runner for people and CI. Every target creates and reuses the virtual environment by itself.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON := $(PYTHON)

.DEFAULT_GOAL := help
.PHONY: help install up test jstest pytest lint format typecheck contract bench lock clean infra-lint build deploy \
	web-app cloud-test destroy

## List the targets.
help:
	@awk '/^## /{if (!doc) doc=substr($$0,4); next} /^[a-z][a-z-]*:/{if (doc) printf "  %-12s %s\n", substr($$1,1,length($$1)-1), doc; doc=""}' $(MAKEFILE_LIST)

# uv, hash-checked (infra/uv-requirements.txt, the same file the Dockerfiles install).
$(UV): infra/uv-requirements.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes --no-deps --only-binary=:all: --requirement $<
	touch $@

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

install: $(VENV)/.synced

## Run the whole product on 127.0.0.1 (embedded, no Docker, state in memory). Ctrl-C stops it.
## Other ports: make up PORT=8080 AWS_PORT=4576 RECOGNIZER_PORT=4577 SOCKET_PORT=8081 (or IMGREC_PORT=... in the environment);
## RATE_LIMIT=n: API requests per minute per caller (default 300, as the template); WORKERS=n: worker processes (default: 2 per core, at most 10).
up: install
	$(PY) -m local_stack $(if $(PORT),--port $(PORT)) $(if $(AWS_PORT),--aws-port $(AWS_PORT)) \
	  $(if $(RECOGNIZER_PORT),--recognizer-port $(RECOGNIZER_PORT)) $(if $(SOCKET_PORT),--socket-port $(SOCKET_PORT)) \
	  $(if $(RATE_LIMIT),--rate-limit $(RATE_LIMIT)) \
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

## Format and lint checks, the infrastructure checks, and the generated contract files being current.
lint: install infra-lint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) -m api.publish --check

## Regenerate docs/openapi.json, frontend/js/contract.js and imgrec/contract.py from the code.
contract: install
	$(PY) -m api.publish

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy

bench: install
	for script in bench/bench_*.py; do $(PY) $$script || exit 1; done

## Infrastructure checks, offline: SAM -> CloudFormation transform, cfn-lint on both and on the CI role's
## template, checkov on the transformed and the CI role's templates, the workflows' linter, hadolint on both Dockerfiles, compose validation (docs/deploy.md).
CHECKOV := $(TOOLS)/checkov/bin/checkov
WORKFLOW_LINT := $(TOOLS)/workflow-lint/bin/jactionlint
TRANSFORMED_TEMPLATE := .cache/infra/template.cfn.json

# checkov pins a boto3 that clashes with the project's: its own venv, exact pins, made once (uv: ~8 s cold).
$(CHECKOV): infra/checkov-requirements.txt | $(UV)
	rm -rf $(TOOLS)/checkov
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(UV) pip install --quiet --python $(TOOLS)/checkov/bin/python --requirement infra/checkov-requirements.txt
	touch $@

$(WORKFLOW_LINT): infra/workflow-lint-requirements.txt | $(UV)
	rm -rf $(TOOLS)/workflow-lint
	$(PYTHON) -m venv $(TOOLS)/workflow-lint
	$(UV) pip install --quiet --require-hashes --python $(TOOLS)/workflow-lint/bin/python --requirement $<
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

infra-lint: install $(CHECKOV) $(WORKFLOW_LINT) $(RIE)
	$(PY) infra/sam_transform.py infra/template.yaml --output $(TRANSFORMED_TEMPLATE)
	$(VENV)/bin/cfn-lint infra/template.yaml $(TRANSFORMED_TEMPLATE) infra/ci-role.yaml
	@# The transformed template holds every resource of the SAM file (with its checkov skips) and those SAM adds.
	BC_SKIP_MAPPING=TRUE $(CHECKOV) --quiet --compact --skip-download --framework cloudformation \
	  --file $(TRANSFORMED_TEMPLATE) --file infra/ci-role.yaml
	@# Scripts in run: steps are plain make calls; shellcheck is not installed here, so skipped on purpose.
	$(WORKFLOW_LINT) --shellcheck= .github/workflows/*.yml
	$(VENV)/bin/hadolint --failure-threshold warning Dockerfile infra/local.Dockerfile
	$(VENV)/bin/docker-compose --file compose.yaml config --quiet

## Deploy to / remove from your AWS account (needs Docker and AWS credentials: docs/deploy.md). The SAM CLI
## comes hash-checked into .tools/sam; deploy and destroy talk to AWS through boto3 (infra/stack_ops.py).
STACK_NAME ?= imgrec
SAM_DIR := $(TOOLS)/sam
SAM ?= $(SAM_DIR)/bin/sam
# Extra `Name=Value ...` parameter overrides, e.g. DEPLOY_PARAMETERS="SelfSignUp=true AlarmEmail=me@example.com".
DEPLOY_PARAMETERS ?=
# The CloudFormation execution role CI passes (infra/ci-role.yaml); empty: CloudFormation uses your credentials.
CFN_ROLE_ARN ?=
SAM_DEPLOY_FLAGS := --stack-name $(STACK_NAME) \
	$(if $(DEPLOY_PARAMETERS),--parameter-overrides $(DEPLOY_PARAMETERS)) $(if $(CFN_ROLE_ARN),--role-arn $(CFN_ROLE_ARN))

$(SAM_DIR)/bin/sam: infra/sam-cli-requirements.txt | $(UV)
	rm -rf $(SAM_DIR)
	$(PYTHON) -m venv $(SAM_DIR)
	$(UV) pip install --quiet --require-hashes --python $(SAM_DIR)/bin/python --requirement $<
	touch $@

define require-docker
	@command -v docker >/dev/null || { echo "make $@ needs Docker (SAM builds the Lambda image): see docs/deploy.md" >&2; exit 1; }
endef

## The Lambda image (one image, every function), built by SAM from the Dockerfile.
build: $(SAM_DIR)/bin/sam
	$(require-docker)
	cd infra && $(abspath $(SAM)) build

## Build, deploy the stack, upload the web app with its config.json, and print its URL. The first deploy of a
## stack name on your machine asks for the parameters (sam deploy --guided); CI never asks.
deploy: build install
	if [ "$$CI" != true ] && ! $(PY) infra/stack_ops.py exists --stack-name $(STACK_NAME); then \
	  cd infra && $(abspath $(SAM)) deploy --guided $(SAM_DEPLOY_FLAGS); \
	else \
	  cd infra && $(abspath $(SAM)) deploy $(SAM_DEPLOY_FLAGS) $(if $(filter true,$(CI)),--no-confirm-changeset); \
	fi
	$(MAKE) --no-print-directory web-app STACK_NAME=$(STACK_NAME)

## Upload frontend/ and the stack's config.json to the hosted web app, invalidate its cache, print its URL.
web-app: install
	$(PY) infra/stack_ops.py publish-web-app --stack-name $(STACK_NAME)

## The opt-in end-to-end tests (pytest -m cloud) against a deployed stack.
cloud-test: install
	IMGREC_E2E_STACK_NAME=$(STACK_NAME) $(PY) -m pytest -m cloud tests/infra/test_deployed_stack.py

## Delete the stack: asks first, then lifts the deletion protection of the user pool and the job table, empties
## the buckets (every version), and runs sam delete. CONFIRM=$(STACK_NAME) skips the question.
destroy: $(SAM_DIR)/bin/sam install
	@if [ "$(CONFIRM)" != "$(STACK_NAME)" ]; then \
	  read -r -p "This deletes $(STACK_NAME): every account, job and image. Type the stack name to go on: " answer; \
	  [ "$$answer" = "$(STACK_NAME)" ] || { echo "not deleted"; exit 1; }; \
	fi
	$(PY) infra/stack_ops.py prepare-destroy --stack-name $(STACK_NAME)
	cd infra && $(abspath $(SAM)) delete --stack-name $(STACK_NAME) --no-prompts

lock: | $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
