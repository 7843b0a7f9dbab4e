// The doctor's findings in plain words, joined into one verdict: "B and C are fine-tunes of A; conflicts high
// in layers fc2–3: TIES or DARE suggested; independent model D needs alignment first; est. peak 1.2 GB of
// 9.8 GB free, ~8 s".
import type { DoctorResult, LayerInterference } from './types';

/**
 * A layer whose trimmed task vectors disagree in sign on this share of the weights both change counts as in
 * conflict (two random signs disagree half the time; fine-tunes that pull together stay well below).
 */
export const HIGH_CONFLICT = 0.4;
/** Task vectors this aligned (mean cosine) or more add up well: task arithmetic or a mean is enough. */
const AGREEING_COSINE = 0.2;

/** Bytes as the app shows them everywhere (1 KB = 1024 B). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;

/** "A", "A and B", "A, B and C". */
export function listWords(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** Layer names with runs of consecutive numbers folded: features.3, features.4, features.5 → features.3–5. */
export function layerRanges(names: string[]): string {
  const parts: string[] = [];
  let run: { prefix: string; from: number; to: number } | undefined;
  const flush = () => { if (run) parts.push(run.from === run.to ? `${run.prefix}${run.from}` : `${run.prefix}${run.from}–${run.to}`); run = undefined; };
  for (const n of names) {
    const m = /^(.*?)(\d+)$/.exec(n);
    if (m && run && run.prefix === m[1] && Number(m[2]) === run.to + 1) { run.to++; continue; }
    flush();
    if (m) run = { prefix: m[1], from: Number(m[2]), to: Number(m[2]) };
    else parts.push(n);
  }
  flush();
  return parts.length <= 6 ? parts.join(', ') : `${parts.slice(0, 6).join(', ')} and ${parts.length - 6} more`;
}

function lineageFindings(r: DoctorResult): string[] {
  const l = r.lineage;
  if (!l) return [];
  const out: string[] = [];
  if (l.base) {
    const group = l.shared_init.find((g) => g.includes(l.base!)) ?? [];
    const tuned = group.filter((n) => n !== l.base && r.models.some((m) => m.name === n && m.role === 'model'));
    if (tuned.length) out.push(`${listWords(tuned)} ${tuned.length === 1 ? 'is a fine-tune' : 'are fine-tunes'} of ${l.base}`);
  }
  for (const g of l.shared_init) if (!l.base || !g.includes(l.base)) out.push(`${listWords(g)} share an initialisation`);
  if (l.needs_alignment.length) {
    const n = l.needs_alignment.length;
    out.push(`independent model${n === 1 ? '' : 's'} ${listWords(l.needs_alignment)} need${n === 1 ? 's' : ''} alignment first (permutation: merge-studio align, or the recipe's align key)`);
  } else if (l.shared_init.length) out.push('no alignment needed');
  out.push(...l.notes);
  return out;
}

function interferenceFindings(layers: LayerInterference[]): string[] {
  if (!layers.length) return [];
  const high = layers.filter((x) => x.sign_conflict >= HIGH_CONFLICT);
  if (high.length) return [`conflicts high in ${layerRanges(high.map((x) => x.name))} (sign conflicts up to ${pct(Math.max(...high.map((x) => x.sign_conflict)))}): TIES or DARE suggested`];
  const weighted = (f: (x: LayerInterference) => number) => layers.reduce((a, x) => a + f(x) * x.parameters, 0) / Math.max(1, layers.reduce((a, x) => a + x.parameters, 0));
  const conflict = weighted((x) => x.sign_conflict);
  const cosine = weighted((x) => x.cosine);
  return cosine >= AGREEING_COSINE
    ? [`task vectors agree (sign conflicts ${pct(conflict)}, cosine ${cosine.toFixed(2)}): task arithmetic or a plain mean should do`]
    : [`conflicts low (${pct(conflict)}) but task vectors unrelated (cosine ${cosine.toFixed(2)}): TIES keeps each model's largest changes`];
}

function memoryFinding(r: DoctorResult): string {
  const { memory: m } = r;
  const time = `~${m.seconds < 1 ? '1' : Math.round(m.seconds)} s`;
  return m.fits
    ? `est. peak ${formatBytes(m.peak_bytes)} of ${formatBytes(m.free_bytes)} free, ${time}`
    : `est. peak ${formatBytes(m.peak_bytes)} is more than the ${formatBytes(m.free_bytes)} free: close other programs, or write f16 (output dtype) to halve the output's buffers; ${time}`;
}

function probeFinding(r: DoctorResult): string[] {
  const p = r.probe;
  if (!p) return [];
  if (p.error && !p.naive) return [`probe on ${p.dataset} failed: ${p.error}`];
  const accs = p.models.map((x) => x.accuracy);
  const range = accs.length ? `models ${pct(Math.min(...accs))}${accs.length > 1 ? `–${pct(Math.max(...accs))}` : ''}` : '';
  const mids = [p.naive && `naive midpoint ${pct(p.naive.accuracy)}`, p.aligned && `aligned midpoint ${pct(p.aligned.accuracy)}`].filter(Boolean).join(', ');
  return [`probe on ${p.samples} samples of ${p.dataset}${p.bn_reset ? ' (BatchNorm reset)' : ''}: ${[range, mids].filter(Boolean).join('; ')}${p.error ? `; then failed: ${p.error}` : ''}`];
}

/** Every finding, in the order a user acts on them: what blocks, lineage, interference, probe, memory. */
export function findingsOf(r: DoctorResult): string[] {
  const c = r.compatibility;
  return [
    ...(c.ok ? [] : [`cannot merge as planned: ${c.blocking.join('; ')}`]),
    ...lineageFindings(r),
    ...interferenceFindings(r.layers),
    ...probeFinding(r),
    ...(c.ok ? [memoryFinding(r)] : []),
  ];
}
