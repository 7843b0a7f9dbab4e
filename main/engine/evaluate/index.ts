// Public surface of evaluation.
export { evaluateModel } from './evaluate-model';
export { predict, type PredictOptions, type Predictions } from './predict';
export { agreement, agreementMatrix } from './agreement';
export { evaluateEnsemble, ensembleLogProbs, meanLogits, ENSEMBLE_COMBINES, COMBINE_TEXT, type EnsembleCombine, type EnsembleResult } from './ensemble';
export { scoreLogits, scoreLogProbs, logSoftmax, argmaxRows, type EvalResult, type ClassScore } from './metrics';
export { planFeed, type FeedPlan } from './model-input';
export type { ModelInput } from './session';
export type { OutputKind } from './output-kind';
export { interpolationCurve, barrierOf, evenAlphas, type Curve, type CurveOptions, type Barrier } from './curve';
