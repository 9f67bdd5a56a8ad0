# The Node service image: one file for every Node service (services/api-gateway, services/user-service,
# services/integration-service, operators/vault-unsealer, and the test fixture test/fixtures/minimal-service). The web,
# whose image also runs a Vite build, has its own on this pattern (services/web/Dockerfile).
# Build context: the repository root. Build args: SERVICE, the service's directory (the program is its src/main.ts);
# WORKSPACE, the npm workspace whose production dependencies it needs, by default the service's own (the fixture,
# which is no workspace, takes the kit's: services/kit).
# Dependencies install from the package manifests alone, so a source edit reuses that layer; application files
# belong to the runtime user (uid 1000) so Tilt's live update may replace them; nothing is written to the root
# filesystem. Targets: `dev` (Tilt: nodemon restarts on a synced change, exits on a crash) and `runtime`, the default.
FROM docker.io/library/node:24-bookworm-slim AS deps
ARG SERVICE
ARG WORKSPACE=${SERVICE}
# Without SERVICE the COPY below would take the root's package.json and npm ci would install the whole repository.
RUN test -n "$SERVICE" || { echo 'build arg SERVICE is required: the directory of the service to build' >&2; exit 1; }
WORKDIR /app
COPY package.json package-lock.json ./
COPY services/kit/package.json services/kit/
COPY ${WORKSPACE}/package.json ${WORKSPACE}/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace ${WORKSPACE} && mkdir -p ${WORKSPACE}/node_modules

FROM docker.io/library/node:24-bookworm-slim AS app
ARG SERVICE
ARG WORKSPACE=${SERVICE}
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
COPY --from=deps /app/node_modules ./node_modules
COPY --chown=1000:1000 package.json ./
COPY --chown=1000:1000 services/kit ./services/kit
COPY --chown=1000:1000 ${SERVICE} ./${SERVICE}
# Versions this workspace needs that differ from the hoisted ones, which npm nests here (e.g. the gateway's
# lru-cache 11 beside the root's 6); the directory is empty when there are none.
COPY --from=deps /app/${WORKSPACE}/node_modules ./${WORKSPACE}/node_modules
# The commands below name the program relative to the service's directory: CMD cannot expand a build arg.
WORKDIR /app/${SERVICE}
USER 1000:1000
EXPOSE 8080

# The watcher of the dev stage: nodemon restarts on a synced change like `node --watch`, and with --exitcrash it
# exits when the program crashes (node --watch would wait for a file change), so the kubelet restarts the container.
FROM docker.io/library/node:24-bookworm-slim AS watcher
RUN npm install --global --no-audit --no-fund nodemon@3.1.14

FROM app AS dev
COPY --from=watcher /usr/local/lib/node_modules/nodemon /usr/local/lib/node_modules/nodemon
CMD ["node", "/usr/local/lib/node_modules/nodemon/bin/nodemon.js", "--no-update-notifier", "--exitcrash", "--watch", "/app/services/kit/src", "--watch", "src", "--ext", "ts,json", "--exec", "node", "src/main.ts"]

FROM app AS runtime
CMD ["node", "src/main.ts"]
