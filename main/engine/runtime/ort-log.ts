// How loud onnxruntime itself is. Its warnings ("[W:onnxruntime:, graph.cc… Removing initializer …") are about
// graph clean-ups our own builders cause on purpose; users cannot act on them and they drown our lines, `--quiet`
// included. Errors stay; MERGE_STUDIO_ORT_LOG=verbose|info|warning asks for more while debugging.
import * as ort from 'onnxruntime-node';

export const ORT_LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;
export type OrtLogLevel = (typeof ORT_LOG_LEVELS)[number];
export const ORT_LOG_ENV = 'MERGE_STUDIO_ORT_LOG';

/** The level asked for by MERGE_STUDIO_ORT_LOG, else 'error'. */
export function ortLogLevel(env: NodeJS.ProcessEnv = process.env): OrtLogLevel {
  const asked = env[ORT_LOG_ENV]?.trim().toLowerCase();
  return (ORT_LOG_LEVELS as readonly string[]).includes(asked ?? '') ? (asked as OrtLogLevel) : 'error';
}

/** onnxruntime's severity number for a level (0 verbose … 4 fatal). */
export function ortSeverity(level: OrtLogLevel): 0 | 1 | 2 | 3 | 4 {
  return ORT_LOG_LEVELS.indexOf(level) as 0 | 1 | 2 | 3 | 4;
}

/** Session options with our log severity; options the caller gives win. Also sets the process-wide level, which
 *  onnxruntime reads once, when the first session of the process is made. */
export function withOrtLogLevel(options: ort.InferenceSession.SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const level = ortLogLevel();
  ort.env.logLevel = level;
  return { logSeverityLevel: ortSeverity(level), ...options };
}

/** Every engine session goes through here, so that none logs louder than asked. */
export function createOrtSession(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  const o = withOrtLogLevel(options);
  return typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o);
}
