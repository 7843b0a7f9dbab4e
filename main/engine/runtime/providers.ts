// Which onnxruntime execution providers this build offers, and which we can try.
import * as ort from 'onnxruntime-node';

export type ProviderId = 'cpu' | 'cuda' | 'dml';

/** Names of the backends onnxruntime-node lists as usable here (cpu always first). */
export function availableProviders(): string[] {
  const names = ort.listSupportedBackends().map((b) => b.name);
  return ['cpu', ...names.filter((n) => n !== 'cpu')];
}

/** True when the provider is listed by this onnxruntime build (it may still fail to start: no driver). */
export function isProviderListed(p: ProviderId): boolean {
  return availableProviders().includes(p);
}
