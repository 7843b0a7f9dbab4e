// What this machine offers the engine: versions, execution providers, threads (in About & diagnostics),
// and the one line the sidebar keeps: is the engine there, and on what.
import { useStudio } from '../state/store';

export function EnvironmentPanel() {
  const env = useStudio((s) => s.environment);
  const error = useStudio((s) => s.environmentError);
  if (error) return <p className="text-sm text-red-700" role="alert">Engine unavailable: {error}</p>;
  if (!env) return <p className="text-sm text-slate-600">Connecting to the engine…</p>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" data-testid="environment">
      <dt className="text-slate-600">Merge Studio</dt><dd data-testid="app-version">{env.appVersion}</dd>
      <dt className="text-slate-600">onnxruntime</dt><dd data-testid="ort-version">{env.onnxruntimeVersion}</dd>
      <dt className="text-slate-600">Execution providers</dt><dd data-testid="providers">{env.providers.join(', ')}</dd>
      <dt className="text-slate-600">Threads</dt><dd>{env.threads}</dd>
      <dt className="text-slate-600">Node</dt><dd>{env.nodeVersion}</dd>
      <dt className="text-slate-600">Platform</dt><dd>{env.platform} {env.arch}</dd>
      <dt className="text-slate-600">Mode</dt><dd>{env.mode === 'browser' ? 'browser, engine on this machine' : env.mode}</dd>
      <dt className="text-slate-600">Workspace</dt><dd className="break-all font-mono text-xs">{env.workspace}</dd>
    </dl>
  );
}

export function EngineStatusLine() {
  const env = useStudio((s) => s.environment);
  const error = useStudio((s) => s.environmentError);
  const state = error ? 'Engine unavailable' : env ? `Engine ready · ${env.providers.map((p) => p.toUpperCase()).join(', ')}` : 'Connecting to the engine…';
  return (
    <p className={`flex items-center gap-2 text-xs ${error ? 'text-red-700' : 'text-slate-600'}`} data-testid="engine-status" role={error ? 'alert' : undefined}>
      <span aria-hidden className={`inline-block size-2 rounded-full ${error ? 'bg-red-500' : env ? 'bg-emerald-500' : 'bg-slate-400'}`} />
      {state}
    </p>
  );
}
