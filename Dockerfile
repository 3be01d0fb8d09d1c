# modreview: one image for every deployment (CLI review/scan, lore responder, GitHub App).
#   docker build -t modreview .
#   docker run --rm -v ~/.cache/modreview:/root/.cache/modreview modreview review --tree /root/.cache/modreview/linux-6.12 /work/x.patch
#   docker run -e APP_ID -e PRIVATE_KEY -e WEBHOOK_SECRET -e HOST=0.0.0.0 -p 3000:3000 modreview github
FROM node:20-bookworm-slim AS build
# Native addons (better-sqlite3, tree-sitter, tree-sitter-c) build with node-gyp.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY rules ./rules
COPY bin ./bin
# `prepare` compiles TypeScript to dist/ during npm ci.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
# git: pre-images from a kernel checkout and public-inbox mirrors (simple-git); perl: checkpatch
# for the benchmark; dpkg/apt for `npm run kernel`.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates perl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/rules ./rules
COPY bin ./bin
COPY package.json app.yml ./
COPY scripts/fetch-kernel.mjs ./scripts/fetch-kernel.mjs
ENV NODE_ENV=production
ENTRYPOINT ["node", "/app/bin/modreview.js"]
CMD ["--help"]
