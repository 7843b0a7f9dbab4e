// `merge-studio soup MODEL… --heldout mnist:val [--test mnist:test] [--greedy]`: a uniform or greedy model soup,
// chosen on the held-out split, written by the merge engine (engine/compare/soup.ts).
import { runSoup } from '../engine/compare/soup';
import { defaultWorkspace } from '../engine/environment';
import { CliError, type CliCommand } from './common';
import { modelRefs, MODEL_HELP, MODEL_OPTIONS } from './model-refs';
import { inTerminal } from './progress';

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

export const soupCommand: CliCommand = {
  name: 'soup',
  usage: 'soup MODEL... --heldout SPEC [--test SPEC] [--greedy] [-o OUT [--overwrite]]',
  summary: 'uniform or greedy model soup, chosen on a held-out split',
  help: `
${MODEL_HELP}
Options:
  --heldout SPEC        the split the soup is chosen on (e.g. mnist:val; never the test split)
  --test SPEC           reported, never used to choose (e.g. mnist:test)
  --greedy              greedy soup: best first, each model kept only if the held-out accuracy rises (default: uniform)
  -o, --output FILE     where the soup is written (default: in its run folder)
  --overwrite           replace FILE when it exists (without it the soup is refused before anything runs)
  --workspace-dir DIR   where the runs are recorded (default ${defaultWorkspace()})
  --json                print the whole result`,
  example: 'soup tests/fixtures/merge/cnn_0.onnx tests/fixtures/merge/cnn_1.onnx tests/fixtures/merge/cnn_2.onnx --heldout mnist:val --workspace-dir out/examples/workspace',
  options: { ...MODEL_OPTIONS, heldout: { type: 'string' }, test: { type: 'string' }, greedy: { type: 'boolean' }, output: { type: 'string', short: 'o' }, overwrite: { type: 'boolean' }, 'workspace-dir': { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    const models = modelRefs(values, positionals, 2);
    if (!values.heldout) throw new CliError('give --heldout SPEC, the split the soup is chosen on (e.g. mnist:val)');
    return inTerminal('soup', values.json === true, 'cancelled', async (ctx) => {
      const r = await runSoup({
        models, heldout: values.heldout as string, kind: values.greedy ? 'greedy' : 'uniform',
        ...(values.test ? { test: values.test as string } : {}), ...(values.output ? { output: values.output as string, overwrite: values.overwrite === true } : {}),
      }, ctx, { workspace: (values['workspace-dir'] as string | undefined) ?? defaultWorkspace() });
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else {
        for (const i of r.order) console.log(`${r.models[i].label}: held-out ${pct(r.models[i].heldout)}${r.models[i].test !== undefined ? `, test ${pct(r.models[i].test!)}` : ''}`);
        for (const s of r.steps.slice(1)) console.log(`${s.added ? 'added  ' : 'skipped'} ${s.label} (soup held-out ${pct(s.soupHeldout)})`);
        console.log(`${r.kind} soup of ${r.ingredients.length}: held-out ${pct(r.soup.heldout)}${r.soup.test !== undefined ? `, test ${pct(r.soup.test)}` : ''} → ${r.soup.path}`);
      }
      return 0;
    });
  },
};
