// A verify job's request (History's Verify button), apart from verify.ts so that the API contract, which the
// renderer bundles, takes in zod only.
import { z } from 'zod';

export const VerifyRequestSchema = z.object({
  output: z.string().min(1).max(4096),
  /** Folders to look for the parents in, besides the workspace and the output's folder. */
  search: z.array(z.string().min(1).max(4096)).max(64).optional(),
}).strict();
export type VerifyRequest = z.infer<typeof VerifyRequestSchema>;
