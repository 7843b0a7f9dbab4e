// Shared look of the Compare screen's panels (the other screens' conventions).
export const card = 'rounded-lg border border-slate-200 bg-white p-4';
export const input = 'rounded border border-slate-300 px-2 py-1 text-sm';
export const primary = 'rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-50';
export const secondary = 'rounded border border-slate-300 px-3 py-1 text-sm text-slate-700 hover:bg-slate-100 disabled:opacity-40';
export const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(2)} %`);
export const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;
