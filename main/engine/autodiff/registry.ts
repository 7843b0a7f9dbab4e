// The registry of backward rules, keyed by ONNX op type (default domain only).
import type { NodeProto } from '../onnx/proto';
import { ALL_RULES } from './rules';
import type { BackwardRule } from './types';

const RULES = new Map<string, BackwardRule>(ALL_RULES.map((r) => [r.opType, r]));

export function ruleFor(opType: string): BackwardRule | undefined { return RULES.get(opType); }

export function supportedOps(): string[] { return [...RULES.keys()].sort(); }

/** Op types in these nodes that have no backward rule (sorted, unique). */
export function unsupportedOps(nodes: NodeProto[]): string[] {
  const out = new Set<string>();
  for (const n of nodes) {
    if ((n.domain && n.domain !== 'ai.onnx') || !RULES.has(n.opType)) out.add(n.domain ? `${n.domain}:${n.opType}` : n.opType);
  }
  return [...out].sort();
}
