// A kind of interpolation curve between two models: naive (the weights as they are), or — registered by the
// alignment engine — after permuting B onto A (weight matching, activation matching). The Compare screen
// draws every curve it gets, side by side.
import type { Dataset } from '../../data/types';
import type { Curve, CurveOptions } from '../../evaluate/curve';
import type { JobContext } from '../../job-context';
import type { Net } from '../../models/load-net';

export interface CurveKind {
  id: string;
  /** Shown in the legend ("naive", "weight-matched"). */
  label: string;
  description: string;
  compute(a: Net, b: Net, data: Dataset, options: CurveOptions, ctx: JobContext): Promise<Curve>;
}

export interface NamedCurve extends Curve {
  kind: string;
  name: string;
}
