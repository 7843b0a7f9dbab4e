// The merge engine's public surface: what the host, the CLI and the Scheme/Run screens call.
export { METHODS, findMethod, getMethod, describeParams, describeMethods, type MergeMethod, type MethodInfo, type ParamSpec } from './methods';
export { parseRecipe, checkRecipe, RecipeSchema, loadRecipe, recipeToYaml, resolveRecipe, expandCheckpoints, RecipeError, type Recipe, type ResolvedRecipe, type LayerRule, type RecipeIssue } from './recipe';
export { buildPlan, blockGroups, type MergePlan, type PlannedTensor } from './plan';
export { preflight, runPreflight, type PreflightReport, type PreflightModel } from './preflight';
export { runMerge, MergeBlockedError, METADATA_KEYS, type MergeResult, type RunMergeOptions, type ParentRecord } from './executor';
export { importMergekit, exportMergekit, type MergekitImport, type MergekitExport } from './mergekit';
export { registryIO, type MergeIO } from '../formats/model-io';
