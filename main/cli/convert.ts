// `merge-studio convert IN OUT [--dtype f32|f16|bf16]`: between formats, by OUT's extension.
import { convertModel, type ConvertDType } from '../engine/convert';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

const DTYPES = ['f32', 'f16', 'bf16'];

export const convertCommand: CliCommand = {
  name: 'convert',
  usage: 'convert IN OUT [--dtype f32|f16|bf16]',
  summary: 'convert a model between .safetensors, .pt/.pth and .onnx (by OUT\'s extension)',
  options: { dtype: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 2) throw new CliError('give an input and an output file');
    const dtype = values.dtype as string | undefined;
    if (dtype !== undefined && !DTYPES.includes(dtype)) throw new CliError(`--dtype must be one of ${DTYPES.join(', ')}, got ${dtype}`);
    return inTerminal('converting', values.json === true, 'cancelled; nothing was written', async (ctx) => {
      const result = await convertModel(positionals[0], positionals[1], { dtype: dtype as ConvertDType | undefined }, ctx);
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else console.log(`wrote ${positionals[1]}`);
      return 0;
    });
  },
};
