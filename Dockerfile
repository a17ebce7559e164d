# The podium-router image: the packed CLI (and the packages it needs) installed outside the source tree, run as
# the unprivileged `node` user, with `podium-router` as the entry point and a health check on the gRPC health
# service. Build: docker build -t podium-router .   Run: see compose.yaml and the README's "Running in production".

# Build stage: compile, pack the publishable packages (tools/dev/pack.mjs), and install the tarballs into
# /opt/podium-router as any user of the packages would. better-sqlite3 compiles here when no prebuilt binary can
# be fetched, so the compilers stay in this stage.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-fund --no-audit \
 && node tools/dev/pack.mjs --out /tmp/packages \
 && mkdir -p /opt/podium-router \
 && cd /opt/podium-router \
 && printf '{"name":"podium-router-image","private":true}\n' > package.json \
 && npm install --omit=dev --no-fund --no-audit /tmp/packages/*.tgz

# Runtime stage: the same base image (same Node ABI and libc for the compiled addon), no compilers, no sources.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PATH=/opt/podium-router/node_modules/.bin:$PATH \
    PODIUM_ROUTER_URL=http://127.0.0.1:8080
COPY --from=build /opt/podium-router /opt/podium-router
# State (the audit trail, the file credential store, consent refresh tokens) lives in one volume owned by `node`;
# the settings file is mounted read-only at /etc/podium-router/settings.yaml.
RUN mkdir -p /etc/podium-router /var/lib/podium-router \
 && chown node:node /var/lib/podium-router
USER node
WORKDIR /var/lib/podium-router
VOLUME ["/var/lib/podium-router"]
EXPOSE 8080
# grpc.health.v1.Health/Check, no API key needed: SERVING exits 0; NOT_SERVING (shutting down) or no answer fails.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["podium-router", "health"]
ENTRYPOINT ["podium-router"]
CMD ["serve", "--settings", "/etc/podium-router/settings.yaml"]
