// Public surface of comparisons, soups, search, history, reports and the demo (docs/compare.md).
export { runComparison, recipeParams, gridOf, type CompareOptions } from './compare';
export { chartsOf, confusionOf, compareCsv, type NamedChart } from './charts-of';
export { weightDiff, tensorDiff, type WeightDiff, type TensorDiff } from './diff';
export { listRuns, readRun, deleteRun, renameRun, checkRunDir, mergeRunOf, type RunSummary, type RunDetail } from './history';
export { resolveModel, checkClasses, type ModelRef, type ResolvedModel } from './models';
export { mergeInMemory, stateSource } from './merge-in-memory';
export { runSoup, greedySoup } from './soup';
export { runSearch, searchPoints, applyValues } from './search';
export { renderCompareReport } from './report';
export { runDemo, DEMO_DEFAULTS, type DemoOptions, type DemoResult } from './demo';
export { listCurveKinds, getCurveKind, type CurveKind, type NamedCurve } from './curves';
export { ENSEMBLE_NOTE } from './note';
export * from './types';
