// The dataset kinds and the one entry point that loads a spec. Adding a kind = one file in kinds/ + one line here.
import { silentContext, type JobContext } from '../job-context';
import { DatasetError } from './errors';
import type { DatasetKind, DatasetKindInfo } from './kind';
import { csvKind } from './kinds/csv';
import { idxKind } from './kinds/idx';
import { imagefolderKind } from './kinds/imagefolder';
import { mnistKind } from './kinds/mnist';
import { formatSpec, parseSpec, type DatasetSpec } from './spec';
import { applyTask } from './tasks/registry';
import type { Dataset } from './types';

const KINDS: DatasetKind[] = [mnistKind, idxKind, imagefolderKind, csvKind];

export function listDatasets(): DatasetKindInfo[] {
  return KINDS.map(({ name, summary, usage, builtins }) => ({ name, summary, usage, builtins: builtins.map((b) => ({ ...b })) }));
}

/**
 * The kind a parsed spec names, filling in `parsed.kind` and `parsed.argument`. A bare "mnist" is mnist:train;
 * a bare path is given to the first kind that recognises it (IDX files or folder, CSV, then image folder).
 */
export function kindOf(spec: string, parsed: DatasetSpec): DatasetKind {
  if (!parsed.kind) {
    const named = KINDS.find((k) => k.name === parsed.argument.toLowerCase());
    if (named) { parsed.kind = named.name; parsed.argument = ''; }
    else {
      const detected = KINDS.find((k) => k.detect?.(parsed.argument));
      if (!detected) {
        throw new DatasetError(spec, 'is not a dataset spec nor a file or folder we recognise',
          `Write KIND:ARGUMENT with KIND one of ${KINDS.map((k) => k.name).join(', ')} (e.g. mnist:train, csv:data.csv)`);
      }
      parsed.kind = detected.name;
    }
  }
  const kind = KINDS.find((k) => k.name === parsed.kind);
  if (!kind) throw new DatasetError(spec, `unknown dataset kind "${parsed.kind}"`, `Known kinds: ${KINDS.map((k) => k.usage).join('; ')}`);
  if (!parsed.argument && kind.defaultArgument) parsed.argument = kind.defaultArgument;
  return kind;
}

/** True for a bare kind name ("mnist"): a built-in, not a path. */
export function isKindName(text: string): boolean {
  return KINDS.some((k) => k.name === text.toLowerCase());
}

/** Loads "KIND:ARG?options&task=..." (see kindOf for specs without "KIND:"). */
export async function loadDataset(spec: string, ctx: JobContext = silentContext()): Promise<Dataset> {
  const parsed = parseSpec(spec);
  const kind = kindOf(spec, parsed);
  const unknown = Object.keys(parsed.options).filter((o) => !kind.options.includes(o));
  if (unknown.length) {
    throw new DatasetError(spec, `option${unknown.length > 1 ? 's' : ''} ${unknown.map((o) => `"${o}"`).join(', ')} not known to ${kind.name}`,
      kind.options.length ? `${kind.name} accepts ${kind.options.join(', ')} (and task=...)` : `${kind.name} takes no options besides task=...`);
  }
  const base = { ...parsed, tasks: [] };
  let d = await kind.load(parsed.argument, parsed.options, formatSpec(base), ctx);
  for (let i = 0; i < parsed.tasks.length; i++) {
    d = applyTask(d, parsed.tasks[i], formatSpec({ ...parsed, tasks: parsed.tasks.slice(0, i + 1) }));
  }
  return d;
}
