// onnxruntime sessions with an execution-provider choice and a reported fallback to CPU.
import * as ort from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../onnx/proto';
import { createOrtSession } from './ort-log';
import { isProviderListed, type ProviderId } from './providers';

export interface SessionOptions {
  /** Execution provider asked for; cpu when absent. */
  provider?: ProviderId;
  /** Intra-op threads (onnxruntime's default when absent). Same threads + same inputs → same outputs. */
  threads?: number;
}

export interface RuntimeSession {
  session: ort.InferenceSession;
  /** The provider that actually runs the graph. */
  provider: ProviderId;
  /** Why the asked provider was not used, when it was not. */
  fallback?: string;
}

function baseOptions(threads?: number): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}

/** Create a session for a model (object or bytes); tries the asked provider, falls back to cpu with a reason. */
export async function createSession(model: ModelProto | Uint8Array, options: SessionOptions = {}): Promise<RuntimeSession> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const asked = options.provider ?? 'cpu';
  if (asked !== 'cpu') {
    if (!isProviderListed(asked)) {
      const s = await createOrtSession(bytes, { ...baseOptions(options.threads), executionProviders: ['cpu'] });
      return { session: s, provider: 'cpu', fallback: `execution provider "${asked}" is not available in this onnxruntime build; running on cpu` };
    }
    try {
      const s = await createOrtSession(bytes, { ...baseOptions(options.threads), executionProviders: [asked, 'cpu'] });
      return { session: s, provider: asked };
    } catch (e) {
      const s = await createOrtSession(bytes, { ...baseOptions(options.threads), executionProviders: ['cpu'] });
      return { session: s, provider: 'cpu', fallback: `execution provider "${asked}" failed to start (${(e as Error).message}); running on cpu` };
    }
  }
  const s = await createOrtSession(bytes, { ...baseOptions(options.threads), executionProviders: ['cpu'] });
  return { session: s, provider: 'cpu' };
}

export type Feeds = Record<string, ort.Tensor>;

export function f32(data: Float32Array, dims: number[]): ort.Tensor { return new ort.Tensor('float32', data, dims); }
export function i64(data: BigInt64Array, dims: number[]): ort.Tensor { return new ort.Tensor('int64', data, dims); }
