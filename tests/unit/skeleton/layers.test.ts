// The engine's layering (docs/architecture.md): every import points down, from a higher floor to a lower one.
// The floors are listed here once; a folder or root file of main/engine that is missing from them fails the test,
// so a newcomer places a new concept on purpose. An import that must point up carries `layer-exception: why`
// on its line or the line above.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../../..');
const ENGINE = path.join(ROOT, 'main/engine');

/** Lowest floor first. Modules on one floor do not import each other. */
export const FLOORS: string[][] = [
  ['tensor', 'files', 'random', 'callNames', 'job-context', 'environment-schema', 'ui-state-schema'],
  ['onnx', 'workspace'],
  ['formats'],
  ['runtime'],
  ['autodiff', 'models', 'data', 'charts'],
  ['evaluate'],
  ['train'],
  ['align'],
  ['merge'],
  ['compare', 'convert', 'inspect', 'architecture-graph'],
  ['doctor'],
  ['loaded', 'environment'],
  ['api'],
  ['jobs'],
  ['handlers'],
  ['engine'],
  ['host'],
];

const floorOf = new Map(FLOORS.flatMap((mods, i) => mods.map((m) => [m, i] as const)));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** The engine module a file belongs to: its top folder under main/engine, or its own name for a root file. */
function moduleOf(file: string): string {
  const [first, ...rest] = path.relative(ENGINE, file).split(path.sep);
  return rest.length > 0 ? first : first.replace(/\.tsx?$/, '');
}

function resolveImport(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return null;
}

interface Edge { file: string; line: number; target: string; excused: boolean }

/** Relative imports and re-exports of a file, with their line numbers. */
function importsOf(file: string): Edge[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const edges: Edge[] = [];
  lines.forEach((text, i) => {
    const m = /^\s*(?:import|export)\b.*?\bfrom\s+['"](\.[^'"]+)['"]/.exec(text) ?? /^\s*import\s+['"](\.[^'"]+)['"]/.exec(text);
    if (!m) return;
    const target = resolveImport(file, m[1]);
    if (!target) return;
    const excused = /layer-exception:/.test(text) || /layer-exception:/.test(lines[i - 1] ?? '');
    edges.push({ file, line: i + 1, target, excused });
  });
  return edges;
}

const files = sourceFiles(ENGINE);

describe('engine layering', () => {
  it('places every engine module on a floor', () => {
    const unplaced = [...new Set(files.map(moduleOf))].filter((m) => !floorOf.has(m));
    expect(unplaced).toEqual([]);
  });

  it('imports only from lower floors (or within a module)', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = moduleOf(file);
      for (const e of importsOf(file)) {
        if (!e.target.startsWith(ENGINE + path.sep)) continue;
        const to = moduleOf(e.target);
        if (to === from || e.excused) continue;
        if (floorOf.get(to)! >= floorOf.get(from)!) upward.push(`${path.relative(ROOT, file)}:${e.line} ${from} → ${to}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('never imports anything outside main/engine but packages and package.json', () => {
    const outside = files.flatMap((file) => importsOf(file)
      .filter((e) => !e.target.startsWith(ENGINE + path.sep) && path.basename(e.target) !== 'package.json')
      .map((e) => `${path.relative(ROOT, file)}:${e.line}`));
    expect(outside).toEqual([]);
  });

  it('keeps the job context on the ground floor: it imports nothing of ours', () => {
    const ctx = sourceFiles(path.join(ENGINE, 'job-context'));
    expect(ctx.length).toBeGreaterThan(0);
    expect(ctx.flatMap(importsOf).filter((e) => !e.target.startsWith(path.join(ENGINE, 'job-context')))).toEqual([]);
  });

  it('detects an upward import (the check itself can fail)', () => {
    const tmp = path.join(ENGINE, 'tensor', `__layer-probe-${process.pid}.ts`);
    fs.writeFileSync(tmp, "import { JobRunner } from '../jobs/runner';\nexport const probe = JobRunner;\n");
    try {
      const [edge] = importsOf(tmp);
      expect(moduleOf(edge.target)).toBe('jobs');
      expect(floorOf.get('jobs')! > floorOf.get(moduleOf(tmp))!).toBe(true);
    } finally {
      fs.rmSync(tmp);
    }
  });
});

describe('the three ways in', () => {
  const WAYS = { desktop: 'main/desktop', serve: 'main/serve', cli: 'main/cli' };
  it('desktop, serve and CLI each live in their own folder, and only the desktop imports Electron', () => {
    for (const dir of Object.values(WAYS)) expect(fs.existsSync(path.join(ROOT, dir))).toBe(true);
    const electronUsers = [...sourceFiles(path.join(ROOT, 'main'))]
      .filter((f) => /from 'electron'|require\('electron'\)/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    expect(electronUsers.length).toBeGreaterThan(0);
    expect(electronUsers.filter((f) => !f.startsWith('main/desktop/'))).toEqual([]);
  });

  it('no way in imports another', () => {
    const crossing: string[] = [];
    for (const [name, dir] of Object.entries(WAYS)) {
      for (const file of sourceFiles(path.join(ROOT, dir))) {
        for (const e of importsOf(file)) {
          const rel = path.relative(ROOT, e.target);
          for (const [other, otherDir] of Object.entries(WAYS)) {
            // The CLI's `serve` command starts the browser-served mode: the one sanctioned crossing.
            if (other !== name && rel.startsWith(otherDir + '/') && !(name === 'cli' && other === 'serve')) crossing.push(`${path.relative(ROOT, file)} → ${rel}`);
          }
        }
      }
    }
    expect(crossing).toEqual([]);
  });
});
