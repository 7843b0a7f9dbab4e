// Model files as every screen names them: by the run that wrote them ("train 3 · epoch-002"), from the
// engine's modelNames call, so files of one name from different runs read differently. Names depend on which
// files are shown together (parent folders are added only where names collide), so they are cached per list;
// a finished job or a renamed run asks again. Screens show the full path on hover (title={path}).
import { useCallback, useEffect, useMemo } from 'react';
import { create } from 'zustand';
import { studio } from '../api/studio';
import { useStudio } from '../state/store';

interface NameCache {
  /** Per list of paths (joined by newlines): each path's short name. */
  lists: Record<string, Record<string, string>>;
  /** Bumped when names may have changed (a run renamed or deleted). */
  version: number;
}

const useNameCache = create<NameCache>(() => ({ lists: {}, version: 0 }));

/** After a run is renamed or deleted: every list asks the engine again. */
export function forgetModelNames(): void {
  useNameCache.setState((s) => ({ lists: {}, version: s.version + 1 }));
}

/** A file's name without its folder, until the engine has answered. */
export function fileNameOf(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}

/** `name(path)`: the run-qualified name of each of `paths`, the files a screen shows together. */
export function useModelNames(paths: readonly string[]): (path: string) => string {
  const key = useMemo(() => [...new Set(paths)].join('\n'), [paths]);
  const names = useNameCache((s) => s.lists[key]);
  const version = useNameCache((s) => s.version);
  // a job that ends may have written a run (or its label): ask again
  const finished = useStudio((s) => Object.values(s.jobs).filter((j) => j.status !== 'running' && j.status !== 'queued').length);
  useEffect(() => {
    if (!key) return;
    let live = true;
    studio.modelNames({ paths: key.split('\n') }).then(
      (r) => { if (live) useNameCache.setState((s) => ({ lists: { ...s.lists, [key]: Object.fromEntries(r.map((n) => [n.path, n.short])) } })); },
      // names are a nicety: a failure leaves file names, and the screen's own call reports real errors
      () => {},
    );
    return () => { live = false; };
  }, [key, version, finished]);
  return useCallback((p: string) => names?.[p] ?? fileNameOf(p), [names]);
}
