// Dark mode works by giving each palette colour a dark value (styles.css, the `.dark` block), so a colour class
// whose shade has no dark value stays light on the dark page (the "Merge or ensemble?" note did, in sky).
// Every palette colour the screens use must have its dark counterpart.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../../../renderer/src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.(tsx?|css)$/.test(name) ? [p] : [];
  });
}

const UTILITIES = 'bg|text|border|border-[trblxy]|ring|fill|stroke|divide|outline|from|to|via|accent|decoration|placeholder|caret|shadow';
const CLASS = new RegExp(`(?<![\\w-])(?:[a-z-]+:)*(?:${UTILITIES})-([a-z]+)-(50|[1-9]00|950)(?![\\w-])`, 'g');

describe('dark mode palette', () => {
  const css = readFileSync(join(root, 'styles.css'), 'utf8');
  const dark = css.slice(css.indexOf('.dark {'), css.indexOf('}', css.indexOf('.dark {')));
  const darkVars = new Set([...dark.matchAll(/--color-([a-z]+-\d+):/g)].map((m) => m[1]));

  it('finds the dark block and the classes it checks', () => {
    expect(darkVars.has('slate-50')).toBe(true);
    expect('x bg-sky-50 y'.match(CLASS)).toEqual([' bg-sky-50'.trim()]);
  });

  it('every palette colour class in the renderer has a dark value', () => {
    const missing = new Set<string>();
    for (const file of sources(root)) {
      if (file.endsWith('styles.css')) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(CLASS)) {
        const colour = `${m[1]}-${m[2]}`;
        if (!darkVars.has(colour)) missing.add(`${colour} (${file.slice(root.length + 1)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
