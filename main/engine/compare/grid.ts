// Merges placed on a grid by their recipe parameters: each merge's parameters as text, and the two that vary.
import { parse as parseYaml } from 'yaml';
import type { CompareResult, CompareRow } from './types';

/** A merge recipe's parameters as text, for the grid: method, parameters.*, weights, and α for two models. */
export function recipeParams(recipeYaml: string | undefined): Record<string, string> {
  if (!recipeYaml) return {};
  let r: Record<string, unknown>;
  try { r = (parseYaml(recipeYaml) ?? {}) as Record<string, unknown>; } catch { return {}; }
  const out: Record<string, string> = {};
  if (typeof r.method === 'string') out.method = r.method;
  const params = (r.parameters ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) if (['number', 'string', 'boolean'].includes(typeof v)) out[`parameters.${k}`] = String(v);
  const models = Array.isArray(r.models) ? (r.models as unknown[]) : [];
  const weights = models.map((m) => (m && typeof m === 'object' && typeof (m as { weight?: unknown }).weight === 'number' ? (m as { weight: number }).weight : 1));
  if (models.length >= 2 && weights.some((w) => w !== 1)) out.weights = weights.join(', ');
  if (models.length === 2 && weights[0] + weights[1] !== 0) out.alpha = String(Math.round((weights[1] / (weights[0] + weights[1])) * 1000) / 1000);
  return out;
}

/** Merges placed by the first two recipe parameters that vary between them (α × method, …). */
export function gridOf(rows: CompareRow[]): CompareResult['grid'] {
  const merges = rows.map((r, i) => ({ r, i })).filter((x) => x.r.merge);
  if (merges.length < 2) return undefined;
  const keys = [...new Set(merges.flatMap((m) => Object.keys(m.r.merge!.params)))];
  const varying = keys.filter((key) => new Set(merges.map((m) => m.r.merge!.params[key] ?? '—')).size > 1);
  if (!varying.length) return undefined;
  const x = varying.includes('alpha') ? 'alpha' : varying[0];
  const y = varying.find((v) => v !== x && v !== 'weights') ?? (x !== 'method' ? 'method' : '');
  return {
    x, y, params: varying,
    cells: merges.map((m) => ({ row: m.i, x: m.r.merge!.params[x] ?? '—', y: y ? (m.r.merge!.params[y] ?? '—') : '', accuracy: m.r.accuracy, label: m.r.label })),
  };
}
