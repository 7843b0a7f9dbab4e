// Alignment's public surface: the permutation spec of a graph, matching, applying, and BatchNorm repair.
export { derivePermutationSpec, type PermutationSpec, type PermGroup, type AxisRef, type ActivationPoint, type SpecIssue } from './spec';
export { permuteState, identityPermutations, takeAlongAxis, unitsMoved, type Permutations } from './apply';
export { linearAssignment, assignmentValue, type Assignment } from './lap';
export { weightMatching, summarize, unitRows, type WeightMatchingOptions, type MatchResult, type GroupSummary } from './weight-matching';
export { Products, xyTLoop } from './products';
