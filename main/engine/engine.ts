// The engine's API handlers, in-process. The host process, the CLI and the tests all call these.
import fs from 'node:fs';
import path from 'node:path';
import { calls, type CallName, type CallResult, type Environment, type StudioEvent } from './api';
import { describeEnvironment } from './environment';
import { JobRunner } from './jobs/runner';
import { runSelftest } from './jobs/kinds/selftest';
import { runTrain, runTrainPair, trainTitle } from './jobs/kinds/train';
import { architectureInfo } from './models/registry';
import { listDatasets, listTasks } from './data';
import { defaultWorkspace } from './environment';
import { checkRecipePaths, mergeTitle, runMergeJob } from './jobs/kinds/merge';
import { describeMethods } from './merge/methods';
import { runPreflight } from './merge/preflight';
import { checkRecipe, loadRecipe, parseRecipe, recipeToYaml } from './merge/recipe';
import { exportMergekit, importMergekit } from './merge/mergekit';
import { readConfigFile, rebaseRecipe } from './merge/mergekit-file';
import { writeFileAtomic } from './files/writeAtomic';
import { browse } from './files/browse';
import { FileRoots } from './files/roots';
import { OpenModels } from './loaded/openModels';
import { describeSweep, sweepLeftovers, type SweepReport } from './workspace/leftovers';
import { architectureGraph } from './architecture-graph';
import { alignTitle, curveTitle, layerTable, runAlign, runCurve } from './jobs/kinds/align';
import { runComparison } from './compare/compare';
import { compareCsv } from './compare/charts-of';
import { runDemo } from './compare/demo';
import { checkRunDir, deleteRun, listRuns, readRun, renameRun } from './compare/history';
import { runSearch } from './compare/search';
import { runSoup } from './compare/soup';
import type { CompareResult } from './compare/types';
import { checkComparePaths, checkSearchPaths, checkSoupPaths, compareTitle, searchTitle, soupTitle } from './jobs/kinds/compare';
import { checkJobDatasets } from './jobs/kinds/datasets';

export type Handlers = { [K in CallName]: (args: unknown) => Promise<CallResult<K>> };

export interface Engine {
  handlers: Handlers;
  runner: JobRunner;
  /** The sweep of the workspace made at start (jobs/leftovers.ts). */
  swept: Promise<SweepReport>;
  /** Allows more folders (the desktop app's native-dialog picks); not a call the UI can make. */
  allowRoots(dirs: string[]): void;
  /** Validate args against the contract, then run the handler. */
  call<K extends CallName>(name: K, args: unknown): Promise<CallResult<K>>;
}

export interface EngineOptions {
  /** Extra folders the browser-mode file browser may use besides home. */
  roots?: string[];
}

export function createEngine(emit: (event: StudioEvent) => void, mode: Environment['mode'], options: EngineOptions = {}): Engine {
  const runner = new JobRunner(emit);
  const models = new OpenModels();
  // The workspace is the app's own folder: make it, so default output paths are usable at once.
  fs.mkdirSync(defaultWorkspace(), { recursive: true });
  // Leftovers of a process that died (kill -9, a crash): its temp files go, its runs are marked interrupted.
  const swept = sweepLeftovers({ workspace: defaultWorkspace() }).then((r) => {
    const line = describeSweep(r);
    if (line) console.error(`merge-studio engine: ${line}`);
    return r;
  });
  const roots = new FileRoots([...(options.roots ?? []), defaultWorkspace()], undefined,
    mode === 'electron' ? 'choose it with Open files… or drop it on the window to allow its folder' : undefined);
  // A path from the UI (a browser's, or a renderer's in the desktop app) must lie in the allowed roots: a
  // compromised page must not reach the whole disk. The desktop app adds the folders the user picks in
  // native dialogs (allowRoots). The CLI's paths are the user's own typing.
  const checkPath = (p: string) => (mode === 'cli' ? p : roots.resolve(p));
  const checkTrainPaths = <T extends { outDir: string; initFrom?: string; modelFile?: string }>(r: T): T => ({
    ...r,
    outDir: checkPath(r.outDir),
    ...(r.initFrom ? { initFrom: checkPath(r.initFrom) } : {}),
    ...(r.modelFile ? { modelFile: checkPath(r.modelFile) } : {}),
  });
  const handlers: Handlers = {
    getEnvironment: async () => describeEnvironment(mode),
    startJob: async (raw) => {
      const args = checkJobDatasets(calls.startJob.args.parse(raw), checkPath);
      switch (args.kind) {
        case 'selftest': {
          const p = args.params;
          return { jobId: runner.submit('selftest', `Self-test (${p.steps} steps)`, (ctx) => runSelftest(p, ctx)) };
        }
        case 'train': {
          const p = checkTrainPaths(args.params);
          return { jobId: runner.submit('train', trainTitle(p), (ctx) => runTrain(p, ctx)) };
        }
        case 'merge': {
          const baseDir = args.params.baseDir ?? defaultWorkspace();
          const recipe = checkRecipePaths(args.params.recipe, baseDir, checkPath);
          return { jobId: runner.submit('merge', mergeTitle(recipe), (ctx) => runMergeJob(recipe, ctx, { baseDir, workspace: defaultWorkspace() })) };
        }
        case 'align': {
          const p = args.params;
          const q = { ...p, reference: checkPath(p.reference), others: p.others.map(checkPath), ...(p.graph ? { graph: checkPath(p.graph) } : {}), ...(p.outDir ? { outDir: checkPath(p.outDir) } : {}) };
          return { jobId: runner.submit('align', alignTitle(q), (ctx) => runAlign(q, ctx, { workspace: defaultWorkspace() })) };
        }
        case 'curve': {
          const p = args.params;
          const q = { ...p, a: checkPath(p.a), b: checkPath(p.b), ...(p.graph ? { graph: checkPath(p.graph) } : {}) };
          return { jobId: runner.submit('curve', curveTitle(q), (ctx) => runCurve(q, ctx, { workspace: defaultWorkspace() })) };
        }
        case 'train-pair': {
          const p = { ...args.params, a: checkTrainPaths(args.params.a), b: checkTrainPaths(args.params.b) };
          return { jobId: runner.submit('train-pair', `Pair: ${trainTitle(p.a)} + ${p.b.dataset}`, (ctx) => runTrainPair(p, ctx)) };
        }
        case 'compare': {
          const p = checkComparePaths(args.params, checkPath);
          return { jobId: runner.submit('compare', compareTitle(p), (ctx) => runComparison(p, ctx, { workspace: defaultWorkspace() })) };
        }
        case 'soup': {
          const p = checkSoupPaths(args.params, checkPath);
          return { jobId: runner.submit('soup', soupTitle(p), (ctx) => runSoup(p, ctx, { workspace: defaultWorkspace() })) };
        }
        case 'search': {
          const p = checkSearchPaths(args.params, args.params.baseDir ?? defaultWorkspace(), checkPath);
          return { jobId: runner.submit('search', searchTitle(p), (ctx) => runSearch(p, ctx, { workspace: defaultWorkspace() })) };
        }
        case 'demo': {
          const p = args.params;
          return { jobId: runner.submit('demo', 'Demo: train SmallCNN on MNIST and average its checkpoints', async (ctx) => {
            const { comparison: _c, ...r } = await runDemo({ workspace: defaultWorkspace(), ...p }, ctx);
            return r;
          }) };
        }
      }
    },
    cancelJob: async (raw) => ({ cancelled: runner.cancel(calls.cancelJob.args.parse(raw).jobId) }),
    listJobs: async () => runner.list(),
    openModel: async (raw) => models.open(checkPath(calls.openModel.args.parse(raw).path)),
    closeModel: async (raw) => ({ closed: await models.close(calls.closeModel.args.parse(raw).modelId) }),
    tensorStats: async (raw) => {
      const a = calls.tensorStats.args.parse(raw);
      return models.stats(a.modelId, a.name);
    },
    browse: async (raw) => browse(roots, calls.browse.args.parse(raw).dir),
    pickFiles: async () => ({ available: false, paths: [] }),
    mergeMethods: async () => describeMethods(),
    preflightMerge: async (raw) => {
      const a = calls.preflightMerge.args.parse(raw);
      const baseDir = a.baseDir ?? defaultWorkspace();
      return runPreflight(checkRecipePaths(a.recipe, baseDir, checkPath), { baseDir });
    },
    recipeToYaml: async (raw) => ({ yaml: recipeToYaml(checkRecipe(calls.recipeToYaml.args.parse(raw).recipe)) }),
    recipeFromYaml: async (raw) => ({ recipe: parseRecipe(calls.recipeFromYaml.args.parse(raw).yaml) }),
    saveRecipe: async (raw) => {
      const a = calls.saveRecipe.args.parse(raw);
      const file = checkPath(a.path);
      await writeFileAtomic(file, recipeToYaml(checkRecipe(a.recipe)));
      return { path: file };
    },
    loadRecipe: async (raw) => loadRecipe(checkPath(calls.loadRecipe.args.parse(raw).path), { echo: mode === 'cli' ? 'all' : 'recipes' }),
    importMergekit: async (raw) => {
      const a = calls.importMergekit.args.parse(raw);
      if (a.path === undefined) {
        const r = importMergekit(a.yaml!);
        return { recipe: r.recipe, dropped: r.notCarried };
      }
      // A config's model paths are relative to it: the ones that name files there become absolute.
      const file = checkPath(a.path);
      const r = importMergekit(await readConfigFile(file));
      return { recipe: rebaseRecipe(r.recipe, path.dirname(path.resolve(file))), dropped: r.notCarried };
    },
    exportMergekit: async (raw) => {
      const r = exportMergekit(checkRecipe(calls.exportMergekit.args.parse(raw).recipe));
      return { yaml: r.yaml, dropped: r.notCarried };
    },
    architectureGraph: async (raw) => {
      const a = calls.architectureGraph.args.parse(raw);
      const source = a.modelId ? models.get(a.modelId) : null;
      return architectureGraph(source && source.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })), source?.metadata ?? {}, a.arch);
    },
    matchLayers: async (raw) => {
      const a = calls.matchLayers.args.parse(raw);
      return layerTable(checkPath(a.reference), a.others.map(checkPath), a.rename);
    },
    trainingChoices: async () => ({ architectures: architectureInfo(), datasets: listDatasets(), tasks: listTasks() }),
    listRuns: async (raw) => listRuns(defaultWorkspace(), calls.listRuns.args.parse(raw).query ?? ''),
    readRun: async (raw) => readRun(defaultWorkspace(), calls.readRun.args.parse(raw).dir),
    deleteRun: async (raw) => {
      await deleteRun(defaultWorkspace(), calls.deleteRun.args.parse(raw).dir);
      return { deleted: true };
    },
    renameRun: async (raw) => {
      const a = calls.renameRun.args.parse(raw);
      return renameRun(defaultWorkspace(), a.dir, a.label);
    },
    compareReport: async (raw) => {
      const dir = checkRunDir(defaultWorkspace(), calls.compareReport.args.parse(raw).runDir);
      const file = path.join(dir, 'report.html');
      const evaluation = JSON.parse(await fs.promises.readFile(path.join(dir, 'eval.json'), 'utf8').catch(() => { throw new Error(`${dir} holds no comparison (eval.json); run the comparison again`); })) as CompareResult;
      if (!Array.isArray(evaluation.rows)) throw new Error(`${dir}: eval.json is not a comparison's`);
      const html = await fs.promises.readFile(file, 'utf8').catch(() => { throw new Error(`${dir} holds no report.html; run the comparison again`); });
      return { html, csv: compareCsv(evaluation), path: file };
    },
  };
  return {
    handlers,
    runner,
    swept,
    allowRoots: (dirs) => { for (const d of dirs) roots.add(d); },
    call: async (name, args) => {
      const parsed = calls[name].args.parse(args ?? {});
      return handlers[name](parsed) as never;
    },
  };
}
