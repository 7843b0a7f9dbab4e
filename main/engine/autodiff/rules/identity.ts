// Identity passes the gradient through.
import type { BackwardRule } from '../types';

export const identityRule: BackwardRule = {
  opType: 'Identity',
  backward(_node, [gy], needs) { return [needs[0] ? gy : undefined]; },
};
