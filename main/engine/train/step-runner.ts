// Runs a K-steps-per-call training graph on onnxruntime, holding the weights, optimiser slots and
// running statistics between calls (they go in and come back once per call).
import type * as ort from 'onnxruntime-node';
import type { TrainGraph } from '../autodiff/train-step';
import { Rng } from '../models/rng';
import { createSession, f32, i64, type SessionOptions } from '../runtime/session';
import type { ProviderId } from '../runtime/providers';

export interface TrainingState {
  params: Map<string, Float32Array>;
  /** Optimiser slots keyed `${param}:${slot}`. */
  slots: Map<string, Float32Array>;
  states: Map<string, Float32Array>;
  /** Optimiser steps done so far. */
  step: number;
}

export interface ChunkResult { losses: Float32Array; corrects: Float32Array }

export class StepRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly graph: TrainGraph,
    readonly state: TrainingState,
    readonly provider: ProviderId,
    readonly fallback: string | undefined,
    private readonly maskRng: Rng,
  ) {}

  static async create(graph: TrainGraph, state: TrainingState, options: SessionOptions & { maskSeed?: number } = {}): Promise<StepRunner> {
    if (graph.io.mode !== 'loop') throw new Error('StepRunner needs a Loop train graph');
    const s = await createSession(graph.model, options);
    return new StepRunner(s.session, graph, state, s.provider, s.fallback, new Rng(options.maskSeed ?? 0));
  }

  /** K = ys.length / batch steps on stacked batches, one learning rate per step. */
  async run(xs: Float32Array, ys: BigInt64Array, lrs: Float32Array, batch: number, inputShape: number[], partner?: Map<string, Float32Array>): Promise<ChunkResult> {
    const K = lrs.length;
    const io = this.graph.io;
    const feeds: Record<string, ort.Tensor> = {
      xs: f32(xs, [K, batch, ...inputShape]),
      ys: i64(ys, [K, batch]),
      lrs: f32(lrs, [K]),
      step0: f32(new Float32Array([this.state.step]), []),
    };
    for (const p of io.params) feeds[io.paramIn(p.name)] = f32(this.state.params.get(p.name)!, p.shape);
    for (const s of io.slots) feeds[s.input] = f32(this.state.slots.get(`${s.param}:${s.slot}`)!, s.shape);
    for (const s of io.states) feeds[io.stateIn(s.name)] = f32(this.state.states.get(s.name)!, s.shape);
    if (io.coupled) {
      if (!partner) throw new Error('coupled training graph run without partner weights');
      for (const p of io.params) feeds[io.partnerIn(p.name)] = f32(partner.get(p.name)!, p.shape);
    }
    for (const ps of io.perStep) {
      const n = ps.shape.reduce((a, b) => a * b, 1);
      const keep = 1 - ps.spec.ratio;
      const m = new Float32Array(K * n);
      for (let i = 0; i < m.length; i++) m[i] = this.maskRng.next() < keep ? 1 / keep : 0;
      feeds[ps.name] = f32(m, [K, ...ps.shape]);
    }
    const r = await this.session.run(feeds);
    for (const p of io.params) this.state.params.set(p.name, r[io.paramOut(p.name)].data as Float32Array);
    for (const s of io.slots) this.state.slots.set(`${s.param}:${s.slot}`, r[s.output].data as Float32Array);
    for (const s of io.states) this.state.states.set(s.name, r[io.stateOut(s.name)].data as Float32Array);
    this.state.step += K;
    return { losses: r.losses.data as Float32Array, corrects: r.corrects.data as Float32Array };
  }

  async release(): Promise<void> { await this.session.release(); }
}
