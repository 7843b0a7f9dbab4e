// The schema of what About & diagnostics shows. Apart from environment.ts so that the API contract (which the
// renderer imports) stays free of onnxruntime, and environment.ts need not import the contract above it.
import { z } from 'zod';

export const Environment = z.object({
  appVersion: z.string(),
  onnxruntimeVersion: z.string(),
  providers: z.array(z.string()),
  threads: z.number().int(),
  platform: z.string(),
  arch: z.string(),
  nodeVersion: z.string(),
  mode: z.enum(['electron', 'browser', 'cli']),
  /** Where runs are written by default (<workspace>/runs/<time>-<slug>/). */
  workspace: z.string(),
});
export type Environment = z.infer<typeof Environment>;
