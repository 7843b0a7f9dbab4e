// The files a dataset spec would read, each judged by the caller's path check (serve mode's and the desktop
// app's allowed folders) before anything looks inside it. Built-in datasets (mnist) read no user path.
import type { PathCheck } from './kind';
import { isKindName, kindOf } from './registry';
import { parseSpec } from './spec';

/**
 * The real paths loading `spec` would read, every one passed through `check` (which throws for a path outside
 * the allowed folders). Relative paths are judged as the loader reads them: against the working directory.
 */
export function datasetPaths(spec: string, check: PathCheck): string[] {
  const parsed = parseSpec(spec);
  // A bare path is judged before kind detection stats it: a refusal must not depend on what lies outside.
  if (!parsed.kind && !isKindName(parsed.argument)) check(parsed.argument);
  const kind = kindOf(spec, parsed);
  return kind.paths ? kind.paths(parsed.argument, parsed.options, check) : [];
}
