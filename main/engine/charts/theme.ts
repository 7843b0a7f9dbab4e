// Chart colours for each theme: axes, legends and titles in the app's slate text colours, and the outline of
// heatmap cells (style 'heat-cell') in the card's own colour, so cells stay apart without a white grid on a
// dark page. The screen passes one to vega-embed; reports (light pages) render with the light one.
export type ChartTheme = 'light' | 'dark';

export const CHART_CONFIG: Record<ChartTheme, Record<string, unknown>> = {
  light: {
    background: null,
    axis: { labelColor: '#334155', titleColor: '#334155', gridColor: '#e2e8f0', domainColor: '#94a3b8', tickColor: '#94a3b8' },
    legend: { labelColor: '#334155', titleColor: '#334155' },
    title: { color: '#0f172a', subtitleColor: '#475569' },
    style: { 'heat-cell': { stroke: '#ffffff', strokeWidth: 1 } },
  },
  dark: {
    background: null,
    axis: { labelColor: '#cbd5e1', titleColor: '#cbd5e1', gridColor: '#334155', domainColor: '#64748b', tickColor: '#64748b' },
    legend: { labelColor: '#cbd5e1', titleColor: '#cbd5e1' },
    title: { color: '#f1f5f9', subtitleColor: '#cbd5e1' },
    // the dark card (styles.css: white becomes slate-900)
    style: { 'heat-cell': { stroke: '#0f172a', strokeWidth: 1 } },
    range: { category: ['#60a5fa', '#fbbf24', '#34d399', '#f87171', '#a78bfa', '#f472b6'] },
  },
};
