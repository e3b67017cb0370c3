#!/usr/bin/env bash
# The web app's checks: generated API client, types, unit/component tests, build, and
# end-to-end tests in Debian's Chromium against the real backend on SQLite.
set -euo pipefail
cd "$(dirname "$0")/../web"

if [ ! -x /usr/bin/chromium ]; then
  echo "== web: installing Debian chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
echo "== web: npm ci"; npm ci --no-audit --no-fund --loglevel=error
echo "== web: OpenAPI + generated client"; npm run --silent generate-client
echo "== web: tsc"; npx tsc --noEmit
echo "== web: vitest"; npx vitest run
echo "== web: vite build"; npx vite build --logLevel warn
echo "== web: playwright"; npx playwright test
