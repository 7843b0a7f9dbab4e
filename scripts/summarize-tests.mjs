// Adds up the Vitest and Playwright JSON reports into the one line CI reads: "N passed, N failed, N skipped".
// A missing report means that runner never finished: counted as a failure, never as a silent pass.
// EXTRA_TEST_REPORTS (comma-separated paths, set by .ci/run) names more reports of the same kind, each
// {passed, failed, skipped}: the README-command checks of scripts/readme-commands.mjs.
import fs from 'node:fs';

function read(file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return null; }
}

let passed = 0, failed = 0, skipped = 0;
const vitest = read('test-results/vitest.json');
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
  skipped += vitest.numPendingTests + vitest.numTodoTests;
  // A test file that fails to load has no tests to count: count it as one failure.
  const brokenFiles = (vitest.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  failed += brokenFiles;
} else {
  console.log('Vitest report missing (test-results/vitest.json): the unit run did not finish.');
  failed += 1;
}
const pw = read('test-results/playwright.json');
if (pw) {
  passed += pw.stats.expected + pw.stats.flaky;
  failed += pw.stats.unexpected;
  skipped += pw.stats.skipped;
  if ((pw.errors ?? []).length) { failed += pw.errors.length; }
} else {
  console.log('Playwright report missing (test-results/playwright.json): the e2e run did not finish.');
  failed += 1;
}
for (const file of (process.env.EXTRA_TEST_REPORTS ?? '').split(',').map((f) => f.trim()).filter(Boolean)) {
  const r = read(file);
  if (r && Number.isInteger(r.passed) && Number.isInteger(r.failed)) {
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped ?? 0;
  } else {
    console.log(`Report missing or unreadable (${file}): counted as one failure.`);
    failed += 1;
  }
}
const line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
fs.mkdirSync('test-results', { recursive: true });
fs.writeFileSync('test-results/summary.txt', line + '\n');
console.log(line);
process.exit(failed > 0 ? 1 : 0);
