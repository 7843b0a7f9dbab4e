// `merge-studio verify OUTPUT`: does this merged file hold what its recipe makes of its parents? The parents
// are found by the SHA-256 the output records (parent-search.ts), the recorded recipe runs again on them
// with the recorded parameters and seeds, and every tensor it makes is compared, bit for bit, with the
// output's as it is made: nothing is written to disk.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FormatWriter, ModelSource, TensorSpec } from '../formats/types';
import { registryIO, type MergeIO } from '../formats/model-io';
import type { JobContext } from '../job-context';
import { runMerge } from './executor';
import { findParents, type LocatedParent, type RecordedParent } from './parent-search';
import { METADATA_KEYS, type RerunRecord } from './provenance';
import { parseRecipe, resolveRecipe, type Recipe } from './recipe';

export { VerifyRequestSchema, type VerifyRequest } from './verify-request';

export interface TensorDifference {
  name: string;
  /** What differs, in words: "3 of 4096 values differ (largest |Δ| 1.2e-3)", "dtype f16, recorded f32", "missing". */
  why: string;
}

export interface VerifyResult {
  output: string;
  /** True only when every parent was found and every tensor is identical, bit for bit. */
  identical: boolean;
  parents: LocatedParent[];
  /** Tensors compared (0 when the re-run could not start). */
  compared: number;
  differing: TensorDifference[];
  /** "verified: identical", or what is missing, changed or different, in words. */
  verdict: string;
}

export interface VerifyOptions {
  /** Folders to look for the parents in (and below); the output's own folder is always looked in. */
  search?: string[];
  /** Its hash cache and run records are looked at first. */
  workspace?: string;
  /** How files are opened (default: the format registry). */
  io?: MergeIO;
}

/** An output that carries no recipe or parents of ours (not a merge of Merge Studio, or stripped). */
export class NotVerifiableError extends Error {
  constructor(file: string, why: string) { super(`${file}: ${why}`); this.name = 'NotVerifiableError'; }
}

interface Recorded { recipe: Recipe; parents: RecordedParent[]; rerun?: RerunRecord }

function recordedIn(file: string, metadata: Record<string, string>): Recorded {
  const yaml = metadata[METADATA_KEYS.recipe];
  const parentsJson = metadata[METADATA_KEYS.parents];
  if (!yaml || !parentsJson) throw new NotVerifiableError(file, `records no recipe and parents (metadata ${METADATA_KEYS.recipe} and ${METADATA_KEYS.parents}): it was not written by a Merge Studio merge, or its metadata was removed`);
  let parents: RecordedParent[];
  try {
    parents = (JSON.parse(parentsJson) as RecordedParent[]).map((p) => ({ role: p.role === 'base' ? 'base' : 'model', name: String(p.name), sha256: String(p.sha256), bytes: Number(p.bytes) }));
  } catch {
    throw new NotVerifiableError(file, `its ${METADATA_KEYS.parents} metadata is not readable JSON`);
  }
  if (!parents.length || parents.some((p) => !/^[0-9a-f]{64}$/.test(p.sha256))) throw new NotVerifiableError(file, 'its parents carry no SHA-256 to look them up by');
  let recipe: Recipe;
  try {
    recipe = parseRecipe(yaml, `${path.basename(file)} (recorded recipe)`);
  } catch (e) {
    throw new NotVerifiableError(file, `its recorded recipe does not parse: ${(e as Error).message}`);
  }
  let rerun: RerunRecord | undefined;
  try { rerun = metadata[METADATA_KEYS.rerun] ? JSON.parse(metadata[METADATA_KEYS.rerun]) as RerunRecord : undefined; } catch { rerun = undefined; }
  return { recipe, parents, rerun };
}

/**
 * The recorded recipe on the parents found: models and base replaced by the files found (in the recorded
 * order: models, then the base), checkpoints by those files, parameters completed with the recorded
 * defaults and seeds, the output sent to `outPath`.
 */
function rerunRecipe(r: Recorded, found: LocatedParent[], outPath: string): Recipe {
  const models = found.filter((p) => p.role === 'model');
  const base = found.find((p) => p.role === 'base');
  const { checkpoints: _c, ...recipe } = r.recipe;
  const parameters = { ...(r.rerun?.parameters as Recipe['parameters'] | undefined), ...r.recipe.parameters };
  return {
    ...recipe,
    models: models.map((m, i) => ({ ...(r.recipe.models?.[i] ?? {}), path: m.path! })),
    ...(base ? { base: base.path! } : {}),
    ...(Object.keys(parameters).length ? { parameters } : {}),
    ...(r.recipe.align ? { align: { ...r.recipe.align, ...(r.rerun?.seeds.align !== undefined && r.recipe.align.seed === undefined ? { seed: r.rerun.seeds.align } : {}) } } : {}),
    output: { ...r.recipe.output, path: outPath },
  };
}

/** The first values that differ, as a sentence. */
function describeDifference(a: Uint8Array, b: Uint8Array, spec: TensorSpec): string {
  if (a.byteLength !== b.byteLength) return `${b.byteLength} bytes made, ${a.byteLength} in the file`;
  let first = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { if (first < 0) first = i; count++; }
  return `${count} of ${a.byteLength} bytes differ (first at byte ${first}, ${spec.dtype} ${spec.shape.join('×') || 'scalar'})`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * A writer that writes nothing: each tensor the re-run makes is compared with the output's of that name as
 * it comes, while the executor still holds its bytes; names, dtypes and shapes are compared at begin().
 */
function comparingWriter(real: FormatWriter, recorded: ModelSource, differing: TensorDifference[], counted: { n: number }): FormatWriter {
  const byName = new Map(recorded.tensors.map((t) => [t.name, t]));
  return {
    id: real.id,
    extensions: real.extensions,
    lateMetadata: real.lateMetadata,
    async begin(_path, specs) {
      const made = new Set(specs.map((s) => s.name));
      const specOf = new Map(specs.map((s) => [s.name, s]));
      for (const s of specs) {
        const t = byName.get(s.name);
        if (!t) differing.push({ name: s.name, why: 'made by the re-run, but not in the file' });
        else if (t.dtype !== s.dtype || t.shape.join('×') !== s.shape.join('×')) differing.push({ name: s.name, why: `the file has ${t.dtype} ${t.shape.join('×')}, the re-run makes ${s.dtype} ${s.shape.join('×')}` });
      }
      for (const t of recorded.tensors) if (!made.has(t.name)) differing.push({ name: t.name, why: 'in the file, but the re-run does not make it' });
      const skip = new Set(differing.map((d) => d.name));
      return {
        async writeTensor(name, data) {
          const t = byName.get(name);
          if (!t || skip.has(name)) return;
          counted.n++;
          const have = await t.read();
          if (!sameBytes(have, data)) differing.push({ name, why: describeDifference(have, data, specOf.get(name)!) });
        },
        async finish() { return { sha256: '', bytes: 0 }; },
        async abort() {},
      };
    },
  };
}

function listNames(xs: string[], max = 8): string {
  return xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
}

function parentProblem(p: LocatedParent): string | undefined {
  if (p.status === 'missing') return `parent ${p.name} (${p.role}, SHA-256 ${p.sha256.slice(0, 12)}…, ${p.bytes} bytes) is missing: no file with its SHA-256 was found`;
  if (p.status === 'changed') return `parent ${p.name} (${p.role}) has changed: ${p.path} has SHA-256 ${p.now?.sha256 ? `${p.now.sha256.slice(0, 12)}…` : '(not hashed)'} and ${p.now?.bytes} bytes, the output records ${p.sha256.slice(0, 12)}… and ${p.bytes} bytes`;
  return undefined;
}

/** Finds the parents, re-runs the recorded recipe and compares every tensor with OUTPUT's. */
export async function verifyOutput(output: string, ctx: JobContext, options: VerifyOptions = {}): Promise<VerifyResult> {
  const io = options.io ?? registryIO;
  const file = path.resolve(output);
  const source = await io.openModel(file);
  try {
    const recorded = recordedIn(file, source.metadata);
    const outDir = path.dirname(file);
    const hints = [...(recorded.recipe.models ?? []).map((m) => path.resolve(outDir, m.path)), ...(recorded.recipe.base ? [path.resolve(outDir, recorded.recipe.base)] : [])];
    ctx.log(`looking for ${recorded.parents.length} parent${recorded.parents.length === 1 ? '' : 's'} by SHA-256`);
    const parents = await findParents(recorded.parents, { dirs: [outDir, ...(options.search ?? [])], workspace: options.workspace, hints }, ctx);
    const problems = parents.map(parentProblem).filter((x): x is string => Boolean(x));
    if (problems.length) return { output: file, identical: false, parents, compared: 0, differing: [], verdict: problems.join('; ') };
    for (const p of parents) ctx.log(`${p.role} ${p.name}: ${p.path}`);

    const differing: TensorDifference[] = [];
    const counted = { n: 0 };
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'ms-verify-'));
    try {
      const outPath = path.join(scratch, `rerun${path.extname(file)}`);
      const recipe = rerunRecipe(recorded, parents, outPath);
      const rerunIO: MergeIO = { openModel: io.openModel, writerFor: (p) => (p === outPath ? comparingWriter(io.writerFor(p), source, differing, counted) : io.writerFor(p)) };
      ctx.log(`re-running the recorded ${recorded.recipe.method} recipe, comparing each tensor with the output's as it is made`);
      // The re-run's output is never written: its lines about the scratch file would mislead.
      const quiet: JobContext = { ...ctx, log: (m) => { if (!m.includes(outPath)) ctx.log(m); } };
      const result = await runMerge(await resolveRecipe(recipe, outDir), quiet, { io: rerunIO });
      // The parents read by the re-run are the ones found (not changed since the search).
      result.parents.forEach((p, i) => {
        if (p.sha256 !== parents[i].sha256) differing.push({ name: `(parent ${p.name})`, why: `changed while verifying: SHA-256 ${p.sha256.slice(0, 12)}…, recorded ${parents[i].sha256.slice(0, 12)}…` });
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const identical = differing.length === 0;
    const verdict = identical
      ? 'verified: identical'
      : `${differing.length} tensor${differing.length === 1 ? '' : 's'} differ${differing.length === 1 ? 's' : ''} from a re-run of the recorded recipe: ${listNames(differing.map((d) => d.name))}`;
    return { output: file, identical, parents, compared: counted.n, differing, verdict };
  } finally {
    await source.close();
  }
}
