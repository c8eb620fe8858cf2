# Opsflow worker and API image. Build: docker build -t opsflow .
# Stage 1: dependencies and the prebuilt workflow bundle.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npx tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js \
 && npm prune --omit=dev --ignore-scripts

# Stage 2: the runtime, as an unprivileged user.
FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production \
    OPSFLOW_HOST=0.0.0.0 \
    OPSFLOW_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/src ./src
COPY --from=build /app/migrations ./migrations
USER node
EXPOSE 3000 9464
# The worker by default; the API service runs `node_modules/.bin/tsx src/api/main.ts`.
CMD ["node_modules/.bin/tsx", "src/main/worker.ts"]
