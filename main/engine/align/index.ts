// Alignment's public surface: layer matching, the permutation spec of a graph, weight and activation matching,
// applying permutations, BatchNorm repair, aligned interpolation curves.
export { derivePermutationSpec, type PermutationSpec, type PermGroup, type AxisRef, type ActivationPoint, type SpecIssue } from './spec';
export { permuteState, identityPermutations, takeAlongAxis, unitsMoved, type Permutations } from './apply';
export { linearAssignment, assignmentValue, LapSession, type Assignment, type LapOptions } from './lap';
export { weightMatching, summarize, type WeightMatchingOptions, type MatchResult, type GroupSummary } from './weight-matching';
export { activationMatching, ActivationDataError, type ActivationMatchingOptions } from './activation-matching';
export { Products, xyTLoop } from './products';
export { matchLayers, renamesOf, type LayerMatch, type LayerRow, type LayerStatus } from './layer-match';
export { alignNets, loadOther, matchModels, renamedSource, ALIGN_METHODS, type AlignMethod, type AlignOptions, type AlignmentReport, type ModelAlignment } from './align';
export { alignedSource, writeSource, alignedName } from './aligned-source';
export { REPAIR_METHODS, resetBatchNorm, repairState, layerStatistics, mixStats, hasBatchNorm, type RepairMethod, type RepairOptions, type LayerStats } from './repair';
export { alignedCurves, type AlignedCurves, type AlignedCurvesOptions } from './curves';
