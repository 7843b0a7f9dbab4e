// What this machine offers the engine: versions, execution providers, threads.
import { useStudio } from '../state/store';

export function EnvironmentPanel() {
  const env = useStudio((s) => s.environment);
  const error = useStudio((s) => s.environmentError);
  if (error) return <p className="text-sm text-red-700" role="alert">Engine unavailable: {error}</p>;
  if (!env) return <p className="text-sm text-slate-500">Connecting to the engine…</p>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs text-slate-600" data-testid="environment">
      <dt>Merge Studio</dt><dd data-testid="app-version">{env.appVersion}</dd>
      <dt>onnxruntime</dt><dd data-testid="ort-version">{env.onnxruntimeVersion}</dd>
      <dt>Providers</dt><dd data-testid="providers">{env.providers.join(', ')}</dd>
      <dt>Threads</dt><dd>{env.threads}</dd>
      <dt>Mode</dt><dd>{env.mode}</dd>
    </dl>
  );
}
