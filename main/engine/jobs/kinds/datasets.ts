// The dataset specs a job request names pass the same path check as its model paths (serve mode's and the
// desktop app's allowed folders), by the real path of every file the dataset would read, before the job is queued.
import type { z } from 'zod';
import type { calls } from '../../api';
import { datasetPaths, type PathCheck } from '../../data';

/** A startJob request as the contract parses it. */
type JobArgs = z.infer<typeof calls.startJob.args>;

/** Judges one spec; a refusal says which field of the request named it. */
export function checkDataset(field: string, spec: string, check: PathCheck): void {
  try {
    datasetPaths(spec, check);
  } catch (e) {
    throw new Error(`${field}: ${(e as Error).message}`);
  }
}

/** Every dataset spec of a startJob request, by field name (a merge's or a search's recipe: see checkRecipePaths). */
export function datasetsOf(args: JobArgs): [string, string][] {
  const specs: [string, string | undefined][] = (() => {
    switch (args.kind) {
      case 'train': return [['dataset', args.params.dataset], ['evalDataset', args.params.evalDataset]];
      case 'train-pair': return [['a.dataset', args.params.a.dataset], ['a.evalDataset', args.params.a.evalDataset],
        ['b.dataset', args.params.b.dataset], ['b.evalDataset', args.params.b.evalDataset]];
      case 'align': return [['dataset', args.params.dataset]];
      case 'curve': return [['dataset', args.params.dataset], ['sampleDataset', args.params.sampleDataset]];
      case 'compare':
      case 'plane': return [['dataset', args.params.dataset]];
      case 'doctor': return [['dataset', args.params.dataset]];
      case 'soup':
      case 'search': return [['heldout', args.params.heldout], ['test', args.params.test]];
      case 'selftest':
      case 'merge':
      case 'verify':
      case 'demo': return [];
    }
  })();
  return specs.filter((s): s is [string, string] => s[1] !== undefined);
}

/** The request unchanged once every dataset it names has passed `check`; throws the first refusal. */
export function checkJobDatasets<T extends JobArgs>(args: T, check: PathCheck): T {
  for (const [field, spec] of datasetsOf(args)) checkDataset(field, spec, check);
  return args;
}
