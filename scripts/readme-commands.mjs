// Runs the README's own commands, as a newcomer would type them, so the README can never drift from the code.
// CI calls this on the fresh clone; each entry of CHECKS is one test in the final "N passed, N failed" line.
//
// A check picks one command line from the README's first shell block and names what the command must do:
//   serves   prints the app's token URL; the page answers 200 with the app's HTML (401 without the token);
//            then the whole process group is stopped by its id and must be gone.
//   exits-0  runs to the end with exit code 0.
//   reports  runs to the end with exit code 0 and ends with `report: PATH`, an HTML file that exists and
//            holds a chart (the demo).
// Adding a check for another README command is one entry in CHECKS.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECKS = [
  { name: "README's main command sets up and runs the demo", pick: (commands) => commands[0], expect: 'reports', timeoutS: 1500 },
  { name: "README's serve command sets up and serves the app", pick: (commands) => commands.find((c) => /\bnpm run serve\b/.test(c)), expect: 'serves', timeoutS: 900 },
];

/** The command lines of the README's first ```bash / ```sh block, each without its trailing `# comment`. */
export function readmeCommands(markdown) {
  const block = /^```(?:bash|sh|shell|console)\s*\n([\s\S]*?)^```/m.exec(markdown);
  if (!block) return [];
  return block[1].split('\n')
    .map((line) => line.replace(/^\s*\$\s+/, '').replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** The app's address with its token, once the command has printed it. */
export function findTokenUrl(text) {
  return /https?:\/\/(?:127\.0\.0\.1|localhost):\d+\/\?token=[\w-]+/.exec(text)?.[0] ?? null;
}

/** Whether a process of the group still runs. On Linux a zombie (dead, not yet reaped by its new parent,
 *  which may be a slow PID 1 in a container) does not count; kill(-pgid, 0) would. */
const groupAlive = (pgid) => {
  if (fs.existsSync('/proc/self/stat')) {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat;
      try { stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so read after the last ')'
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    }
    return false;
  }
  try { process.kill(-pgid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Stops a command's whole process group (npm, its shell, the server, the engine): TERM, then KILL. */
export async function stopGroup(pgid, graceMs = 15_000) {
  try { process.kill(-pgid, 'SIGTERM'); } catch { return { stopped: true, killed: false }; }
  for (const t0 = Date.now(); Date.now() - t0 < graceMs; await sleep(100)) if (!groupAlive(pgid)) return { stopped: true, killed: false };
  try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone meanwhile */ }
  for (const t0 = Date.now(); Date.now() - t0 < 5000; await sleep(100)) if (!groupAlive(pgid)) return { stopped: true, killed: true };
  return { stopped: false, killed: true };
}

/** Starts `command` in bash, in its own process group, with its output teed into `logFile`. */
function start(command, { cwd, env, logFile }) {
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(logFile);
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const onData = (d) => { output += d; log.write(d); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return { child, exited, output: () => output, close: () => new Promise((r) => log.end(r)) };
}

async function fetchText(url) {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

const EXPECT = {
  async serves(run, timeoutS) {
    const deadline = Date.now() + timeoutS * 1000;
    let url = null;
    let exit = null;
    void run.exited.then((e) => { exit = e; });
    while (!url && !exit && Date.now() < deadline) { url = findTokenUrl(run.output()); if (!url) await sleep(200); }
    if (!url) throw new Error(exit ? `exited (code ${exit.code}, signal ${exit.signal}) without printing the app's address` : `printed no token URL within ${timeoutS} s`);
    const page = await fetchText(url);
    if (page.status !== 200) throw new Error(`GET ${url.replace(/token=.*/, 'token=…')} answered ${page.status}`);
    if (!/<title>Merge Studio<\/title>/.test(page.text) || !/<div id="root">/.test(page.text)) throw new Error('the page is not the app\'s HTML');
    const bare = await fetchText(url.replace(/\?token=.*/, ''));
    if (bare.status !== 401) throw new Error(`without the token the page answered ${bare.status}, not 401`);
    return `served ${new URL(url).origin} (200 with the token, 401 without)`;
  },
  async 'exits-0'(run, timeoutS) {
    // the time limit's timer is cleared once the command exits: a pending timer would keep this script alive
    let timer;
    const limit = new Promise((r) => { timer = setTimeout(() => r(null), timeoutS * 1000); });
    const e = await Promise.race([run.exited, limit]);
    clearTimeout(timer);
    if (!e) throw new Error(`still running after ${timeoutS} s`);
    if (e.code !== 0) throw new Error(`exited with code ${e.code}${e.signal ? ` (signal ${e.signal})` : ''}`);
    return 'exited 0';
  },
  async reports(run, timeoutS) {
    await EXPECT['exits-0'](run, timeoutS);
    const lines = run.output().trim().split('\n');
    const m = /^report: (.+\.html)\s*$/.exec(lines[lines.length - 1] ?? '');
    if (!m) throw new Error(`exited 0 but its last line is not "report: PATH.html": ${lines[lines.length - 1] ?? '(no output)'}`);
    if (!fs.existsSync(m[1])) throw new Error(`the report ${m[1]} does not exist`);
    const html = fs.readFileSync(m[1], 'utf8');
    if (!/<svg[\s>]/.test(html)) throw new Error(`the report ${m[1]} holds no chart (no <svg>)`);
    return `exited 0 and wrote ${m[1]} (${html.length} bytes, with its chart)`;
  },
};

/** Runs one check; never throws: the result says passed or failed, and why. */
export async function runCheck(check, commands, { cwd, env, logDir }) {
  const command = check.pick(commands);
  const t0 = Date.now();
  const result = (status, detail) => ({ name: check.name, command: command ?? null, status, detail, seconds: Math.round((Date.now() - t0) / 100) / 10 });
  if (!command) return result('failed', 'the README has no such command');
  const expect = EXPECT[check.expect];
  if (!expect) return result('failed', `unknown expectation "${check.expect}"`);
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${check.name.replace(/\W+/g, '-').replace(/^-|-$/g, '').toLowerCase()}.log`);
  const run = start(command, { cwd, env, logFile });
  let outcome;
  try {
    outcome = result('passed', await expect(run, check.timeoutS ?? 600));
  } catch (e) {
    outcome = result('failed', `${e.message}\n--- last output (${logFile}) ---\n${run.output().split('\n').slice(-30).join('\n')}`);
  }
  const graceS = check.stopGraceS ?? 15;
  const stop = await stopGroup(run.child.pid, graceS * 1000);
  await run.close();
  if (!stop.stopped && outcome.status === 'passed') outcome = result('failed', `process group ${run.child.pid} would not stop`);
  else if (stop.killed && outcome.status === 'passed' && check.expect === 'serves') outcome = result('failed', `did not stop on SIGTERM within ${graceS} s (killed): ${outcome.detail}`);
  return outcome;
}

async function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const out = path.join(root, 'test-results');
  const commands = readmeCommands(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  // The app's runs go to a scratch workspace, not the user's home; the command itself is the README's.
  const env = { ...process.env, MERGE_STUDIO_WORKSPACE: process.env.MERGE_STUDIO_WORKSPACE ?? path.join(out, 'readme-commands', 'workspace') };
  const tests = [];
  for (const check of CHECKS) {
    console.log(`README check: ${check.name}\n  $ ${check.pick(commands) ?? '(not found)'}`);
    const r = await runCheck(check, commands, { cwd: root, env, logDir: path.join(out, 'readme-commands') });
    console.log(`  ${r.status === 'passed' ? '✓' : '✗'} ${r.detail} (${r.seconds} s)`);
    tests.push(r);
  }
  const count = (s) => tests.filter((t) => t.status === s).length;
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'readme-commands.json'), JSON.stringify({ passed: count('passed'), failed: count('failed'), skipped: count('skipped'), tests }, null, 2) + '\n');
  return count('failed') ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
}
