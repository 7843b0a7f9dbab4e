// Number and size formatting shared by the screens.
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en');
}

export function formatNumber(v: number | null): string {
  if (v === null) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(4) : v.toPrecision(6);
}

/** A job's done/total in words, from its label ("read 12.0 MB of 37.0 MB from 3 inputs"), or "12 / 40". */
export function progressText(job: { done: number; total: number; unit?: string; label?: string }): string {
  const fmt = (n: number) => (job.unit === 'bytes' ? formatBytes(n) : n.toLocaleString('en'));
  if (job.label) return job.label.replace('{done}', fmt(job.done)).replace('{total}', fmt(job.total));
  return `${fmt(job.done)} / ${job.total ? fmt(job.total) : '?'}`;
}

/**
 * A number from a computation as people write it: at most 4 significant digits, no float noise
 * (0.09999999999999998 → "0.1", 1/3 → "0.3333", 123456 → "123500"); very small or large ones in e-notation.
 * Anything else (a method's name, true/false) as it is.
 */
export function formatValue(v: unknown): string {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '—' : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e7) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}

/** Parameters in words: "alpha 0.1, method ties". */
export function formatParams(p: Record<string, unknown>): string {
  return Object.entries(p).map(([k, v]) => `${k} ${formatValue(v)}`).join(', ');
}
