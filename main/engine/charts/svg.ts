// Renders an engine-made Vega-Lite spec to SVG in Node (no canvas needed: the SVG renderer estimates text
// widths), for HTML reports — the same spec the screen draws with vega-embed.
import { CHART_CONFIG } from './theme';
import type { VegaLiteSpec } from './training';

export async function chartSvg(spec: VegaLiteSpec): Promise<string> {
  // Both packages are ES modules only; a dynamic import loads them from the CommonJS build.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  // light colours, as the report's page; its background is the spec's own (`null` is only for vega-embed)
  const { background: _, ...config } = CHART_CONFIG.light;
  const compiled = vl.compile(spec as never, { config: config as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
