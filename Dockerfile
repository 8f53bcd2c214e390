# syntax=docker/dockerfile:1
# Production image: `ukuk serve` against an external PostgreSQL (DATABASE_URL is required; no embedded server).
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY src ./src
COPY migrations ./migrations
COPY alembic.ini ./
RUN uv sync --locked --no-dev

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ukuk
WORKDIR /app
COPY --from=build --chown=root:root /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 UKUK_ENV=production UKUK_DATA_DIR=/tmp/ukuk
USER ukuk
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"]
# Migrations run as a separate step (`ukuk migrate`) with the owner's DATABASE_URL; serve does not migrate.
# UKUK_PUBLIC_URL (the address clients use) is required too: Link headers and the trusted-host check read it.
CMD ["sh", "-c", "test -n \"$DATABASE_URL\" || { echo 'DATABASE_URL is required' >&2; exit 2; }; test -n \"$UKUK_PUBLIC_URL\" || { echo 'UKUK_PUBLIC_URL is required' >&2; exit 2; }; exec ukuk serve --host 0.0.0.0 --port 8000 --no-migrate"]
