// Mean softmax cross-entropy over the batch, from logits, with its gradient written in closed form:
// loss = −mean(log_softmax(z)[y]); dz = (softmax(z) − onehot(y)) / B. Also counts correct argmaxes.
import type { GraphBuilder } from '../onnx/builder';

export interface LossValues { loss: string; dlogits: string; correct: string }

export function emitCrossEntropy(b: GraphBuilder, logits: string, labels: string, batch: number, classes: number): LossValues {
  const logp = b.op('LogSoftmax', [logits], { axis: 1 });
  const onehot = b.op('OneHot', [labels, b.constI64([classes], []), b.constF([0, 1])], { axis: -1 });
  const picked = b.op('ReduceSum', [b.op('Mul', [onehot, logp])], { keepdims: 0 });
  const loss = b.op('Mul', [picked, b.scalar(-1 / batch)]);
  const dlogits = b.op('Mul', [b.op('Sub', [b.op('Exp', [logp]), onehot]), b.scalar(1 / batch)]);
  const hits = b.op('Equal', [b.op('ArgMax', [logits], { axis: 1, keepdims: 0 }), labels]);
  const correct = b.op('ReduceSum', [b.op('Cast', [hits], { to: 1 })], { keepdims: 0 });
  return { loss, dlogits, correct };
}
