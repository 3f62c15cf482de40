# syntax=docker/dockerfile:1
# One image for every non-Lambda service of compose.yaml (provisioning, local API gateway + web app,
# event pollers, local Rekognition). It holds the runtime, local and models groups of the lock, so the
# recognizer's offline models and moto live here and never in the Lambda image (../Dockerfile).
# One image rather than one per service: built once, shared layers, the same code `make up` runs.

ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS dependencies
# uv itself hash-checked: the exact wheels infra/uv-requirements.txt names, nothing else.
COPY infra/uv-requirements.txt /tmp/uv-requirements.txt
RUN pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: --requirement /tmp/uv-requirements.txt
WORKDIR /build
COPY pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-default-groups --group local --group models --no-emit-project \
        --format requirements-txt --output-file requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps --requirement requirements.txt

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY --from=dependencies /opt/venv /opt/venv
WORKDIR /app
COPY imagejobs/ imagejobs/
COPY worker/ worker/
COPY api/ api/
COPY local_stack/ local_stack/
COPY frontend/ frontend/
RUN useradd --system --no-create-home --uid 10001 imgrec
USER 10001
# compose.yaml gives every service its command (one part of the local stack each).
CMD ["python", "-m", "local_stack", "--help"]
