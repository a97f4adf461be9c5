# syntax=docker/dockerfile:1
# One image for every egov service; the command chooses which one runs:
#   docker run --rm -p 8001:8001 egov-platform:0.1.0 serve intake
#   docker run --rm egov-platform:0.1.0 dlq list        (any other `egov` command)
# Build and pin instructions: docs/deploy.md.

# Base image pinned by version; pass a digest for fully reproducible builds:
#   --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---------------------------------------------------------------- build: wheels into a venv
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Compilers only here, for any dependency without a wheel; the runtime stage has none.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/egov
WORKDIR /src
# Dependencies first (cached while only the code changes), pinned by constraints.txt.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir -p shared services \
 && touch shared/__init__.py services/__init__.py \
 && /opt/egov/bin/pip install --constraint constraints.txt . \
 && /opt/egov/bin/pip uninstall -y egov-platform
# Then the code itself (not editable: the image never sees the source tree).
COPY shared ./shared
COPY services ./services
RUN /opt/egov/bin/pip install --constraint constraints.txt --no-deps . \
 && /opt/egov/bin/python -m compileall -q /opt/egov/lib \
 && /opt/egov/bin/egov --help > /dev/null

# ---------------------------------------------------------------- runtime: no build tools
FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="egov-platform" \
      org.opencontainers.image.description="Event-driven back end for integrated online government services" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# The CJK font the issued PDFs (decision notices, e-licences, the bulletin) draw Chinese with;
# without it they keep only the English half of every label (shared/documents/fonts.py).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 egov \
 && useradd --system --uid 10001 --gid egov --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin egov
COPY --from=build /opt/egov /opt/egov
ENV PATH=/opt/egov/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    EGOV_HTTP_HOST=0.0.0.0 \
    EGOV_LOG_JSON=true
# Nothing is written outside /tmp (Kubernetes mounts an emptyDir there; the root fs is read-only).
WORKDIR /tmp
USER 10001:10001
# intake 8001, approval 8002, monitor 8003, notify 8004, credit 8005 (EGOV_HTTP_PORT overrides).
EXPOSE 8001 8002 8003 8004 8005
# Liveness and readiness are HTTP probes on /healthz and /readyz (deploy/k8s), not a
# HEALTHCHECK: the port depends on the service the command chooses.
ENTRYPOINT ["egov"]
CMD ["--help"]
