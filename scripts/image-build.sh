#!/bin/sh
# The image's build step, run by the Dockerfile (and runnable outside Docker, as any user, in a
# clean clone): install exactly the lockfile, compile TypeScript, drop dev dependencies.
set -eu
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build
npm prune --omit=dev --no-audit --no-fund
test -f dist/src/cli.js
