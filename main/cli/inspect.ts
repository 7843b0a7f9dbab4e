// `merge-studio inspect FILE [--json]`: every tensor, its dtype and shape, tied groups, metadata.
import { inspectModel } from '../engine/inspect';
import { CliError, type CliCommand } from './common';

export const inspectCommand: CliCommand = {
  name: 'inspect',
  usage: 'inspect FILE [--json]',
  summary: 'list a model file\'s tensors, dtypes, shapes, tied weights and metadata',
  help: `
FILE is a .safetensors file (or a sharded model's *.safetensors.index.json), a PyTorch checkpoint
(.pt, .pth, .bin, .ckpt: read by a restricted unpickler, no pickle code runs) or an .onnx model.
Only headers are read, so a large model lists in well under a second.

Prints one line per tensor: name, dtype, shape; then tied groups (names sharing one storage) and notes
about what was done while opening (an unwrapped checkpoint, a stripped "module." prefix, …).

Examples:
  merge-studio inspect model.safetensors
  merge-studio inspect checkpoint.pt --json > tensors.json`,
  optionHelp: { json: 'print {format, tensors: [{name, dtype, shape}], tied, metadata} as JSON' },
  options: { json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one model file');
    const info = await inspectModel(positionals[0]);
    if (values.json) {
      const { format, tensors, tied, metadata } = info;
      console.log(JSON.stringify({ format, tensors, tied, metadata }, null, 2));
      return 0;
    }
    console.log(`${positionals[0]}: ${info.format}, ${info.tensors.length} tensors, ${info.parameterCount.toLocaleString('en')} parameters, ${(info.byteSize / 1e6).toFixed(2)} MB of weights`);
    for (const note of info.notes) console.log(`note: ${note}`);
    const width = Math.min(60, Math.max(...info.tensors.map((t) => t.name.length), 4));
    for (const t of info.tensors) console.log(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(5)} [${t.shape.join(', ')}]`);
    for (const group of info.tied) console.log(`tied: ${group.join(' = ')}`);
    return 0;
  },
};
