# syntax=docker/dockerfile:1
# The Proof emulator, for local multi-replica setups and demos. Never expose it publicly.
#   docker build -f docker/emulator.Dockerfile -t proof-emulator .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npx nest build proof-emulator

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production EMULATOR_HOST=0.0.0.0 EMULATOR_PORT=4010
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
# Only this app and the shared library: `nest build` compiles every project (both apps, scripts).
COPY --from=build --chown=node:node /app/dist/apps/proof-emulator ./dist/apps/proof-emulator
COPY --from=build --chown=node:node /app/dist/libs ./dist/libs
USER node
EXPOSE 4010
HEALTHCHECK --interval=10s --timeout=2s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.EMULATOR_PORT+'/oauth/v2/token/info').then(r=>process.exit(r.status===401?0:1),()=>process.exit(1))"
CMD ["node", "dist/apps/proof-emulator/src/main.js"]
