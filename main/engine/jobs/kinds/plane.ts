// The loss-plane job (compare/plane.ts): every model path passes the engine's path check (browser mode's allowed
// folders) before anything runs (its dataset is judged with every job's, jobs/kinds/datasets.ts); its title; and
// the plane as a run of the workspace (it measures): plane.json in the run folder, the chart as SVG when asked.
import path from 'node:path';
import { planeSpec } from '../../charts/plane';
import { chartSvg } from '../../charts/svg';
import { hashInputs } from '../../compare/hashes';
import type { ModelRef } from '../../compare/models';
import { lossPlane, type PlaneRequest, type PlaneResult } from '../../compare/plane';
import { writeFileAtomic } from '../../files/writeAtomic';
import type { JobContext } from '../../job-context';
import { asRun } from '../../workspace/as-run';
import { refuseExisting } from '../../workspace/output-guard';
import { listOf, runLabel } from '../../workspace/run-label';

type Check = (p: string) => string;

const ref = (m: ModelRef, check: Check): ModelRef => ({ ...m, path: check(m.path), ...(m.graph ? { graph: check(m.graph) } : {}) });

export function checkPlanePaths(r: PlaneRequest, check: Check): PlaneRequest {
  return { ...r, models: r.models.map((m) => ref(m, check)), ...(r.marks ? { marks: r.marks.map((m) => ref(m, check)) } : {}) };
}

export function planeTitle(r: PlaneRequest): string {
  const n = r.models.map((m) => m.label ?? path.basename(m.path));
  return `Loss plane through ${n.join(', ')} on ${r.dataset}`;
}

/** "plane · a, b, c on mnist:test": the three corners by their labels or file names. */
export function planeLabel(r: PlaneRequest): string {
  return runLabel('plane', `${listOf(r.models.map((m) => m.label ?? path.parse(m.path).name))} on ${r.dataset}`);
}

export interface PlaneRunOptions {
  /** Where the run is recorded (none: the plane is only measured, as a library call). */
  workspace?: string;
  /** Also write the chart as SVG to this file; one that exists is refused unless `overwrite`. */
  svg?: string;
  overwrite?: boolean;
}

export type PlaneJobResult = PlaneResult & { runDir?: string };

/** Every file the plane reads (the models, the marks, any ONNX graph their weights go into), by absolute path. */
function planeFiles(r: PlaneRequest): string[] {
  return [...r.models, ...(r.marks ?? [])].flatMap((m) => [m.path, ...(m.graph ? [m.graph] : [])]).map((f) => path.resolve(f));
}

/** The loss plane recorded as a plane run: its settings, its inputs with SHA-256, plane.json (and the SVG) as outputs. */
export async function runPlane(req: PlaneRequest, ctx: JobContext, o: PlaneRunOptions = {}): Promise<PlaneJobResult> {
  if (o.svg) refuseExisting([o.svg], o.overwrite);
  const files = planeFiles(req);
  const start = { kind: 'plane' as const, label: planeLabel(req), title: planeTitle(req), dataset: req.dataset, inputs: files.map((p) => ({ path: p })) };
  const settings = { ...req, ...(o.svg ? { svg: o.svg } : {}) };
  return asRun({ workspace: o.workspace, slug: `plane-${path.parse(req.models[0].path).name}`, settings, start }, ctx, async (run, log) => {
    const r = await lossPlane(req, ctx);
    const chart = planeSpec(r);
    const outputs: string[] = [];
    if (run) {
      const file = path.join(run.dir, 'plane.json');
      await writeFileAtomic(file, `${JSON.stringify({ ...r, chart }, null, 2)}\n`, { mkdir: false });
      outputs.push(file);
    }
    if (o.svg) {
      await writeFileAtomic(o.svg, await chartSvg(chart));
      outputs.push(path.resolve(o.svg));
      log(`wrote ${o.svg}`);
    }
    const hashed = await hashInputs(files, o.workspace, ctx.signal);
    return {
      result: { ...r, ...(run ? { runDir: run.dir } : {}) },
      record: { n: r.n, grid: r.xs.length, outputs, inputs: hashed.map((h) => ({ path: h.path, sha256: h.sha256 })) },
    };
  });
}
