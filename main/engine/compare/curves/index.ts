// Curve kinds. A new one: write curves/<id>.ts exporting a CurveKind and add it here.
import { naiveCurve } from './naive';
import type { CurveKind } from './types';
import { weightCurve } from './weight';

const CURVE_KINDS: CurveKind[] = [naiveCurve, weightCurve];

export function listCurveKinds(): CurveKind[] { return CURVE_KINDS; }

export function getCurveKind(id: string): CurveKind {
  const k = CURVE_KINDS.find((c) => c.id === id);
  if (!k) throw new Error(`unknown curve "${id}"; available: ${CURVE_KINDS.map((c) => c.id).join(', ')}`);
  return k;
}

export type { CurveKind, NamedCurve } from './types';
