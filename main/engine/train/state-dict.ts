// The run's state dict (what the files hold) and the step runner's training state (what the graph is fed):
// copies, and weights moved from one to the other.
import type { TrainGraph } from '../autodiff/train-step';
import type { StateDict } from '../models/types';
import type { TrainingState } from './step-runner';

export function cloneState(s: StateDict): StateDict {
  return new Map([...s].map(([k, v]) => [k, { shape: v.shape, data: v.data.slice() as Float32Array | BigInt64Array }]));
}

/** The runner's starting state: the state dict's params and running stats (shared, not copied), zeroed optimiser slots. */
export function trainingStateOf(io: TrainGraph['io'], state: StateDict): TrainingState {
  const ts: TrainingState = { params: new Map(), slots: new Map(), states: new Map(), step: 0 };
  for (const p of io.params) ts.params.set(p.name, state.get(p.name)!.data as Float32Array);
  for (const s of io.slots) ts.slots.set(`${s.param}:${s.slot}`, new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
  for (const s of io.states) ts.states.set(s.name, state.get(s.name)!.data as Float32Array);
  return ts;
}

/** Point the state dict at the runner's latest params and running stats. */
export function syncFromRunner(state: StateDict, ts: TrainingState): void {
  for (const [k, v] of ts.params) state.get(k)!.data = v;
  for (const [k, v] of ts.states) state.get(k)!.data = v;
}

/** BatchNorm's num_batches_tracked counts the `steps` just run (the graph does not carry it). */
export function countBatches(state: StateDict, steps: number): void {
  for (const [bn, st] of state) if (bn.endsWith('num_batches_tracked')) (st.data as BigInt64Array)[0] += BigInt(steps);
}
