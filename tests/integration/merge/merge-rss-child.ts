// Child process of memory-estimate.test.ts: runs one recipe file and prints its peak RSS as JSON, so the
// peak measured is the merge's process's own (as bench/merge.ts measures it).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { parseRecipe } from '../../../main/engine/merge/recipe';

async function main(file: string): Promise<void> {
  const recipe = parseRecipe(readFileSync(file, 'utf8'), file);
  await runMerge(recipe, silentContext(), { baseDir: path.dirname(file) });
  process.stdout.write(`${JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

main(process.argv[2]).catch((e) => { console.error(e); process.exit(1); });
