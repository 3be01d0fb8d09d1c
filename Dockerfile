# modreview: one image for every deployment; the default command is `modreview serve`.
#   docker build -t modreview .
#   docker run -v modreview-data:/data -p 8080:8080 modreview serve --config /data/serve.yaml
#   docker run -v modreview-data:/data modreview review --tree /data/linux x.patch  (one-off review)
# The build steps live in scripts/image-build.sh so they can be run and tested without Docker.
FROM node:20-bookworm-slim AS build
# Native addons (better-sqlite3, tree-sitter, tree-sitter-c) build with node-gyp.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
RUN chown node:node /app
USER node
COPY --chown=node:node package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY --chown=node:node src ./src
COPY --chown=node:node rules ./rules
COPY --chown=node:node bin ./bin
COPY --chown=node:node scripts/image-build.sh ./scripts/image-build.sh
RUN sh scripts/image-build.sh

FROM node:20-bookworm-slim
# git: pre-images from a kernel checkout and public-inbox mirrors (simple-git).
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/* \
    && mkdir /data && chown node:node /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/rules ./rules
COPY bin ./bin
COPY package.json app.yml ./
COPY scripts/fetch-kernel.mjs ./scripts/fetch-kernel.mjs
ENV NODE_ENV=production HOST=0.0.0.0 SERVE_HOST=0.0.0.0 SERVE_PORT=8080 HOME=/data
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SERVE_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/modreview.js"]
CMD ["serve"]
