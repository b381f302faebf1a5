# syntax=docker/dockerfile:1
# Multi-stage build of the token broker: build with dev dependencies, run with production
# dependencies only, as a non-root user. Build from the repository root:
#   docker build -f docker/broker.Dockerfile -t proof-token-broker .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npx nest build broker

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
# Only this app and the shared library: `nest build` compiles every project (both apps, scripts).
COPY --from=build --chown=node:node /app/dist/apps/broker ./dist/apps/broker
COPY --from=build --chown=node:node /app/dist/libs ./dist/libs
COPY --chown=node:node package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=2s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=2", "dist/apps/broker/src/main.js"]
