// A comparison as one self-contained HTML file: the verdict first, the table (best per column marked), the
// charts as inline SVG (the screen's own specs, rendered in Node), the ensemble note, then provenance — each
// input's SHA-256, each merge's recipe and parents. Nothing is fetched when it is opened.
import { chartSvg } from '../charts/svg';
import { chartsOf, confusionOf, mostAccurate } from './charts-of';
import type { CompareResult } from './types';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(100 * x).toFixed(2)} %`);

const STYLE = `
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#0f172a;background:#f8fafc;margin:0;padding:2rem}
main{max-width:1100px;margin:auto}h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.lead{color:#475569;margin:0 0 1rem}.verdict{background:#ecfdf5;border:1px solid #a7f3d0;border-radius:8px;padding:.75rem 1rem;font-size:1.05rem}
table{border-collapse:collapse;background:white;border:1px solid #e2e8f0;width:100%;font-size:13px}th,td{padding:.35rem .5rem;border-top:1px solid #f1f5f9;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}thead th{background:#f1f5f9}td.best{font-weight:700;color:#047857}td.best::after{content:" ★"}
.kind{color:#64748b;font-size:12px}.chart{background:white;border:1px solid #e2e8f0;border-radius:8px;padding:.5rem;margin:.5rem 0;overflow-x:auto}
.note{background:#eff6ff;border:1px solid #bfdbfe;border-radius:8px;padding:.75rem 1rem;color:#1e3a8a}
pre{background:#0f172a;color:#e2e8f0;padding:.75rem;border-radius:6px;overflow-x:auto;font-size:12px}code{font-size:12px}
.scroll{overflow-x:auto}footer{color:#64748b;margin-top:2rem;font-size:12px}`;

function verdict(r: CompareResult): string {
  const best = r.rows[r.best.accuracy];
  const parts = [`<b>${esc(best.label)}</b> is the most accurate on ${esc(r.dataset.spec)}: ${pct(best.accuracy)} (loss ${best.loss.toFixed(4)}, ${r.dataset.size} examples).`];
  if (r.checkpoints) {
    const m = r.rows[r.checkpoints.merge];
    const d = 100 * (m.accuracy - r.checkpoints.mean);
    parts.push(`The merge <b>${esc(m.label)}</b> scores ${pct(m.accuracy)} against ${pct(r.checkpoints.mean)} for the mean of its ${r.checkpoints.points.length} checkpoints (${d >= 0 ? '+' : ''}${d.toFixed(2)} points).`);
  }
  const ens = r.rows.find((x) => x.kind === 'ensemble');
  const merge = r.rows.find((x) => x.kind === 'merge');
  if (ens && merge) parts.push(`The ensemble of its parents scores ${pct(ens.accuracy)}.`);
  if (r.curves?.series.length) {
    parts.push(r.curves.series.map((c) => `${esc(c.name)} curve: loss barrier ${c.barrier.loss.toFixed(3)} at α = ${c.barrier.alpha.toFixed(2)}`).join('; ') + '.');
  }
  return parts.join(' ');
}

function table(r: CompareResult): string {
  const cell = (v: string, best: boolean) => `<td${best ? ' class="best"' : ''}>${v}</td>`;
  const head = ['Model', 'Accuracy', 'Loss', ...r.classes.map((c) => `class ${esc(c)}`), ...r.parents.map((p) => `agrees with ${esc(r.rows[p].label)}`)];
  const body = r.rows.map((row, i) => `<tr><td>${esc(row.label)} <span class="kind">${row.kind}</span></td>${cell(pct(row.accuracy), r.best.accuracy === i)}${cell(row.loss.toFixed(4), r.best.loss === i)}${row.perClass.map((a, c) => cell(pct(a), r.best.perClass[c] === i)).join('')}${row.agreement.map((a) => `<td>${pct(a)}</td>`).join('')}</tr>`);
  return `<div class="scroll"><table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

function provenance(r: CompareResult): string {
  const inputs = `<div class="scroll"><table><thead><tr><th>File</th><th>SHA-256</th><th>Bytes</th></tr></thead><tbody>${r.inputs.map((i) => `<tr><td><code>${esc(i.path)}</code></td><td><code>${i.sha256}</code></td><td>${i.bytes}</td></tr>`).join('')}</tbody></table></div>`;
  const merges = r.rows.filter((x) => x.merge).map((x) => {
    const m = x.merge!;
    const parents = m.parents.map((p) => `<li>${esc(p.role)} <code>${esc(p.path ?? p.name)}</code>${p.sha256 ? ` — sha256 <code>${p.sha256}</code>` : ''}</li>`).join('');
    return `<h3>${esc(x.label)}</h3>${m.runDir ? `<p>Run folder <code>${esc(m.runDir)}</code></p>` : ''}<ul>${parents}</ul>${m.recipeYaml ? `<pre>${esc(m.recipeYaml)}</pre>` : ''}`;
  }).join('');
  return `<h2>Inputs</h2>${inputs}${merges ? `<h2>Merges: recipes and parents</h2>${merges}` : ''}`;
}

export async function renderCompareReport(r: CompareResult): Promise<string> {
  const charts = chartsOf(r);
  // the confusion matrix shown is the most accurate model's, found from the rows themselves, and named
  const best = mostAccurate(r);
  const confusion = confusionOf(r, best);
  const figure = async (c: { id: string; title: string; spec: Record<string, unknown> }, caption = '') =>
    `<figure class="chart" data-chart="${c.id}" aria-label="${esc(c.title)}">${caption}${await chartSvg(c.spec)}</figure>`;
  const svgs = await Promise.all([
    ...charts.map((c) => figure(c)),
    figure(confusion, `<figcaption data-testid="confusion-of">Confusion matrix of the most accurate model, <b>${esc(r.rows[best].label)}</b> (${pct(r.rows[best].accuracy)}): rows are the true class, columns the predicted one.</figcaption>`),
  ]);
  const curveErrors = r.curves?.errors.length ? `<p>${r.curves.errors.map(esc).join('<br>')}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="Merge Studio"><title>${esc(r.title)} — Merge Studio report</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(r.title)}</h1>
<p class="lead">Evaluated on <code>${esc(r.dataset.spec)}</code> (${r.dataset.size} examples, ${r.dataset.numClasses} classes) in ${r.seconds.toFixed(1)} s.</p>
<p class="verdict" data-testid="verdict">${verdict(r)}</p>
<h2>Results</h2>${table(r)}
<h2>Charts</h2>${svgs.join('\n')}${curveErrors}
<h2>Merge or ensemble?</h2><p class="note">${esc(r.note)}</p>
${provenance(r)}
<footer>Made by Merge Studio${r.runDir ? ` — run folder <code>${esc(r.runDir)}</code> (request, eval.json, log)` : ''}.</footer>
</main></body></html>
`;
}
