// The doctor and verify jobs (the Scheme screen's Check panel, History's Verify button, the CLI's doctor and
// verify): every path they name passes the engine's path check before anything runs; titles for the job list;
// each recorded as a run of the workspace (both measure: the doctor the weights and the data, verify a re-run).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { hashInputs } from '../../compare/hashes';
import { runDoctor } from '../../doctor/doctor';
import type { DoctorRequest, DoctorResult } from '../../doctor/types';
import { writeFileAtomic } from '../../files/writeAtomic';
import type { JobContext } from '../../job-context';
import { verifyOutput, type VerifyResult } from '../../merge/verify';
import type { VerifyRequest } from '../../merge/verify-request';
import { asRun } from '../../workspace/as-run';
import type { RunInput } from '../../workspace/run-folder';
import { namesOf, runLabel } from '../../workspace/run-label';
import { checkRecipePaths } from './merge';

type Check = (p: string) => string;

export function checkDoctorPaths(r: DoctorRequest, baseDir: string, check: Check): DoctorRequest {
  const abs = (p: string) => check(path.resolve(baseDir, p));
  return {
    ...r,
    baseDir,
    ...(r.recipe ? { recipe: checkRecipePaths(r.recipe, baseDir, check) as Record<string, unknown> } : {}),
    ...(r.models ? { models: r.models.map(abs) } : {}),
    ...(r.base ? { base: abs(r.base) } : {}),
    ...(r.graph ? { graph: abs(r.graph) } : {}),
  };
}

export function checkVerifyPaths(r: VerifyRequest, check: Check): VerifyRequest {
  return { output: check(r.output), ...(r.search ? { search: r.search.map(check) } : {}) };
}

/** The models a doctor request names (a recipe's by their paths as written). */
function doctorModels(r: DoctorRequest): string[] {
  return r.models ?? (Array.isArray(r.recipe?.models) ? (r.recipe.models as ({ path?: string } | string)[]).map((m) => (typeof m === 'string' ? m : m?.path ?? '?')) : []);
}

export function doctorTitle(r: DoctorRequest): string {
  const names = doctorModels(r).map((m) => path.basename(m));
  const what = names.length ? (names.length <= 3 ? names.join(', ') : `${names.length} models`) : 'the recipe';
  return `Check ${what}${r.dataset ? ` (probe on ${r.dataset})` : ''}`;
}

export function verifyTitle(r: VerifyRequest): string {
  return `Verify ${path.basename(r.output)}`;
}

export interface CheckRunOptions {
  /** Where the run is recorded (none: the check only runs, as a library call). */
  workspace?: string;
}

/** Files that exist by path and SHA-256; the others (a model the pre-flight found missing) by path only. */
async function hashExisting(files: string[], workspace: string | undefined, signal: AbortSignal): Promise<RunInput[]> {
  const isFile = await Promise.all(files.map((f) => stat(f).then((s) => s.isFile(), () => false)));
  const hashed = new Map((await hashInputs(files.filter((_, i) => isFile[i]), workspace, signal)).map((h) => [h.path, h.sha256]));
  return [...new Set(files)].map((f) => (hashed.has(f) ? { path: f, sha256: hashed.get(f) } : { path: f }));
}

/**
 * The doctor recorded as a doctor run, always (not only when it probes on data): it reads and measures every
 * weight (lineage, interference) and its verdict should trace to the files it read by SHA-256. A blocked merge is
 * a check that succeeded with a verdict that says so; the run fails only when the check cannot run (a recipe that
 * does not parse). doctor.json holds the whole result.
 */
export async function doctorAsRun(req: DoctorRequest, ctx: JobContext, o: CheckRunOptions = {}): Promise<DoctorResult & { runDir?: string }> {
  const models = doctorModels(req);
  const what = models.length ? namesOf(models) : 'the recipe';
  const start = {
    kind: 'doctor' as const, label: runLabel('doctor', `${what}${req.dataset ? ` on ${req.dataset}` : ''}`), title: doctorTitle(req),
    ...(req.dataset ? { dataset: req.dataset } : {}), inputs: models.map((p) => ({ path: path.resolve(req.baseDir ?? process.cwd(), p) })),
  };
  return asRun({ workspace: o.workspace, slug: `doctor-${models.length ? path.parse(models[0]).name : 'recipe'}`, settings: req, start }, ctx, async (run) => {
    const r = await runDoctor(req, ctx);
    const outputs: string[] = [];
    if (run) {
      const file = path.join(run.dir, 'doctor.json');
      await writeFileAtomic(file, `${JSON.stringify(r, null, 2)}\n`, { mkdir: false });
      outputs.push(file);
    }
    const inputs = await hashExisting([...r.models.map((m) => m.path), ...(req.graph ? [req.graph] : [])], o.workspace, ctx.signal);
    return {
      result: { ...r, ...(run ? { runDir: run.dir } : {}) },
      record: { ok: r.compatibility.ok, verdict: r.verdict, ...(r.probe ? { probe: r.probe.dataset } : {}), outputs, inputs },
    };
  });
}

/** identical; different (tensors differ); or parents missing or changed (nothing could be compared). */
export function verifyOutcome(r: VerifyResult): 'identical' | 'different' | 'parents missing or changed' {
  if (r.identical) return 'identical';
  return r.parents.every((p) => p.status === 'found') ? 'different' : 'parents missing or changed';
}

/**
 * Verify recorded as a verify run ("verify · mean.safetensors"): the output and the parents found by SHA-256 as
 * its inputs, the outcome in run.json (result, verdict) and the whole result in verify.json. A file that records
 * no recipe fails the run with that error.
 */
export async function verifyAsRun(req: VerifyRequest, ctx: JobContext, o: CheckRunOptions = {}): Promise<VerifyResult & { runDir?: string }> {
  const name = path.basename(req.output);
  const start = { kind: 'verify' as const, label: runLabel('verify', name), title: verifyTitle(req), inputs: [{ path: path.resolve(req.output), role: 'output' }] };
  return asRun({ workspace: o.workspace, slug: `verify-${path.parse(req.output).name}`, settings: req, start }, ctx, async (run) => {
    const r = await verifyOutput(req.output, ctx, { search: req.search, workspace: o.workspace });
    const outputs: string[] = [];
    if (run) {
      const file = path.join(run.dir, 'verify.json');
      await writeFileAtomic(file, `${JSON.stringify(r, null, 2)}\n`, { mkdir: false });
      outputs.push(file);
    }
    const [output] = await hashInputs([r.output], o.workspace, ctx.signal);
    // a changed parent by the SHA-256 it has now (when it was hashed), not the one recorded
    const parents: RunInput[] = r.parents.flatMap((p) => {
      const sha256 = p.status === 'found' ? p.sha256 : p.now?.sha256;
      return p.path ? [{ path: p.path, ...(sha256 ? { sha256 } : {}), role: p.role }] : [];
    });
    const result = verifyOutcome(r);
    return {
      result: { ...r, ...(run ? { runDir: run.dir } : {}) },
      record: {
        title: `${verifyTitle(req)}: ${result}`, result, identical: r.identical, verdict: r.verdict, compared: r.compared, differing: r.differing.length,
        outputs, inputs: [{ path: output.path, sha256: output.sha256, role: 'output' }, ...parents],
      },
    };
  });
}
