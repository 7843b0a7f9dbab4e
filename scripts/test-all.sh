#!/usr/bin/env bash
# npm test: build the app, run the unit/integration tests (Vitest) and the end-to-end tests (Playwright in
# Debian's Chromium against the browser-served app), then print one line counting every test that ran.
set -u
cd "$(dirname "$0")/.."
rm -f test-results/vitest.json test-results/playwright.json
status=0
npx electron-vite build >/tmp/merge-studio-build.log 2>&1 || { cat /tmp/merge-studio-build.log; echo "build failed"; status=1; }
npx vitest run "$@" || status=1
if [ "$status" -eq 0 ] || [ -d out/renderer ]; then
  npx playwright test || status=1
fi
node scripts/summarize-tests.mjs || status=1
exit $status
