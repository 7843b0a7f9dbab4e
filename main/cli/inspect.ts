// `merge-studio inspect FILE [--stats] [--json]`: every tensor, its dtype and shape, tied groups, metadata.
// What it reports is checked: sizes always, and with --stats every tensor is read (its statistics printed)
// and the file's own checksums compared. A file that fails says "damaged" and exits with code 2.
import { inspectModel } from '../engine/inspect';
import type { TensorStats } from '../engine/tensor/stats';
import { CliError, type CliCommand } from './common';
import { terminalSafe } from './terminal-text';

const num = (v: number | null) => (v === null ? '—' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4));
const statsText = (s: TensorStats) => `min ${num(s.min)} max ${num(s.max)} mean ${num(s.mean)} std ${num(s.std)}${s.nan ? ` nan ${s.nan}` : ''}${s.inf ? ` inf ${s.inf}` : ''}`;

export const inspectCommand: CliCommand = {
  name: 'inspect',
  usage: 'inspect FILE [--stats] [--json]',
  summary: 'list a model file\'s tensors, dtypes, shapes, tied weights and metadata, and check it',
  help: `
FILE is a .safetensors file (or a sharded model's *.safetensors.index.json), a PyTorch checkpoint
(.pt, .pth, .bin, .ckpt: read by a restricted unpickler, no pickle code runs) or an .onnx model.
Without --stats only headers are read, so a large model lists in well under a second.

Prints one line per tensor: name, dtype, shape; then tied groups (names sharing one storage) and notes
about what was done while opening (an unwrapped checkpoint, a stripped "module." prefix, …).
Sizes (every tensor's data against its shape) are always checked. A damaged file is reported as such
(what is wrong, where) and exits with code 2.

Examples:
  merge-studio inspect model.safetensors
  merge-studio inspect checkpoint.pt --stats
  merge-studio inspect checkpoint.pt --json > tensors.json`,
  optionHelp: {
    stats: 'read every tensor: min/max/mean/std per tensor, and the stored checksums (PyTorch record CRC-32)',
    json: 'print {format, tensors: [{name, dtype, shape}], tied, metadata, damaged[, stats]} as JSON',
  },
  example: 'inspect tests/fixtures/merge/cnn_0.pt --stats',
  options: { json: { type: 'boolean' }, stats: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one model file');
    const info = await inspectModel(positionals[0], { stats: values.stats === true });
    const code = info.damaged.length ? 2 : 0;
    if (values.json) {
      const { format, tensors, tied, metadata, damaged, stats } = info;
      console.log(JSON.stringify({ format, tensors, tied, metadata, damaged, ...(stats ? { stats } : {}) }, null, 2));
    } else {
      const verdict = info.damaged.length ? 'DAMAGED' : values.stats ? 'checked: sizes and checksums hold' : 'sizes checked';
      console.log(`${terminalSafe(positionals[0])}: ${info.format}, ${info.tensors.length} tensors, ${info.parameterCount.toLocaleString('en')} parameters, ${(info.byteSize / 1e6).toFixed(2)} MB of weights — ${verdict}`);
      for (const note of info.notes) console.log(`note: ${terminalSafe(note)}`);
      // names escaped one by one, newlines included: a name cannot forge a line of this report
      const names = info.tensors.map((t) => terminalSafe(t.name));
      // a loop, not Math.max(...names): a spread of 130k arguments overflows the stack
      const width = Math.min(60, names.reduce((w, n) => Math.max(w, n.length), 4));
      info.tensors.forEach((t, i) => {
        const s = info.stats?.[t.name];
        console.log(`  ${names[i].padEnd(width)}  ${t.dtype.padEnd(5)} [${t.shape.join(', ')}]${s ? `  ${statsText(s)}` : ''}`);
      });
      for (const group of info.tied) console.log(`tied: ${group.map((n) => terminalSafe(n)).join(' = ')}`);
      for (const d of info.damaged) console.log(`damaged: ${terminalSafe(d)}`);
    }
    if (code) {
      const all = info.damaged.join('; ');
      console.error(terminalSafe(`merge-studio inspect: ${positionals[0]} is damaged: ${all}${/again/.test(all) ? '' : ' — copy, download or export it again'}`));
    }
    return code;
  },
};
