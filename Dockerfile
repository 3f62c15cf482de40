# syntax=docker/dockerfile:1
# The Lambda image of imgrec. One image, three functions (infra/template.yaml sets ImageConfig.Command):
# the worker (this CMD), the dead-letter handler and the API. Only the runtime dependency group of the
# lock goes in: never the local stack, the offline models or the test tools.

# Pinned by digest (multi-arch index, Python 3.12.15, built 2026-10-09). Override with --build-arg to move it.
ARG LAMBDA_BASE_IMAGE=public.ecr.aws/lambda/python:3.12@sha256:145350008f3f67d82c0bc6ecd34d9eb0c95aecf11f9b69db6bab7de3d5d3cc61

FROM ${LAMBDA_BASE_IMAGE} AS dependencies
# uv itself hash-checked: the exact wheels infra/uv-requirements.txt names, nothing else.
COPY infra/uv-requirements.txt /tmp/uv-requirements.txt
RUN pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: --requirement /tmp/uv-requirements.txt
WORKDIR /build
COPY pyproject.toml uv.lock ./
# The exact versions and hashes of the runtime group ([project].dependencies), from the lock, then a
# hash-checked, wheels-only install: what tests/infra/test_runtime_dependencies.py checks.
RUN uv export --frozen --no-dev --no-default-groups --no-emit-project --format requirements-txt \
        --output-file requirements.txt \
    && pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: \
        --target /opt/runtime --requirement requirements.txt

FROM ${LAMBDA_BASE_IMAGE}
COPY --from=dependencies /opt/runtime ${LAMBDA_TASK_ROOT}
# Code last: a code change rebuilds only these layers.
COPY imagejobs/ ${LAMBDA_TASK_ROOT}/imagejobs/
COPY worker/ ${LAMBDA_TASK_ROOT}/worker/
COPY api/ ${LAMBDA_TASK_ROOT}/api/
# /var/task is read-only in Lambda: compile now so cold starts do not compile on every start.
RUN python3 -m compileall -q "${LAMBDA_TASK_ROOT}/imagejobs" "${LAMBDA_TASK_ROOT}/worker" "${LAMBDA_TASK_ROOT}/api"
CMD ["worker.handle_jobs.lambda_handler"]
