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
