// `merge-studio convert IN OUT [--dtype f32|f16|bf16]`: between formats, by OUT's extension.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { convertModel, type ConvertDType } from '../engine/convert';
import { makeFolder } from '../engine/files/make-folder';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

const DTYPES = ['f32', 'f16', 'bf16'];

export const convertCommand: CliCommand = {
  name: 'convert',
  usage: 'convert IN OUT [--dtype f32|f16|bf16] [--overwrite]',
  summary: 'convert a model between .safetensors, .pt/.pth and .onnx (by OUT\'s extension)',
  optionHelp: {
    dtype: ['f32|f16|bf16', 'cast every float tensor to this dtype (integer and bool tensors keep theirs)'],
    overwrite: 'replace OUT when it exists (without it, an existing file is never replaced)',
    json: 'print {from, to, tensors, bytes, notes} as JSON',
  },
  example: 'convert tests/fixtures/merge/cnn_0.pt out/examples/cnn_0.safetensors --overwrite',
  options: { dtype: { type: 'string' }, overwrite: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 2) throw new CliError('give an input and an output file');
    const dtype = values.dtype as string | undefined;
    if (dtype !== undefined && !DTYPES.includes(dtype)) throw new CliError(`--dtype must be one of ${DTYPES.join(', ')}, got ${dtype}`);
    // OUT's folder is made, as the other commands make theirs (a fresh clone has no out/examples yet), and
    // said, so a mistyped folder does not go unnoticed; a file in the way is an error that names it.
    const outDir = path.dirname(path.resolve(positionals[1]));
    if (!existsSync(outDir)) {
      try { await makeFolder(outDir, 'the output folder'); } catch (e) { throw new CliError((e as Error).message); }
      console.error(`made the folder ${outDir}`);
    }
    return inTerminal('converting', values.json === true, 'cancelled; nothing was written', async (ctx) => {
      const result = await convertModel(positionals[0], positionals[1], { dtype: dtype as ConvertDType | undefined, overwrite: values.overwrite === true }, ctx);
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else console.log(`wrote ${positionals[1]}`);
      return 0;
    });
  },
};
