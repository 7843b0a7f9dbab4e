// Handlers of run history: list, read and delete runs; a comparison run's report for export.
import fs from 'node:fs';
import path from 'node:path';
import { calls } from '../api';
import { defaultWorkspace } from '../environment';
import { compareCsv } from '../compare/charts-of';
import { checkRunDir, deleteRun, listRuns, readRun, renameRun } from '../compare/history';
import type { CompareResult } from '../compare/types';
import type { Handlers } from './types';

export function historyHandlers(): Pick<Handlers, 'listRuns' | 'readRun' | 'deleteRun' | 'renameRun' | 'compareReport'> {
  return {
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
}
