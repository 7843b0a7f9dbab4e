// mergekit YAML import and export for the methods both tools have. mergekit's settings (a value, a gradient
// over the layer index, or a list of {filter, value} where the first match wins, per model or for all) are
// carried as recipe parameters, per-model parameters and layer rules with `over: blocks`; mergekit's defaults
// are written out explicitly both ways where ours differ. Everything that does not map exactly is listed in
// `notCarried`, in words, so the user knows what changed on the way.
//   mergekit-config.ts   its YAML's schema and what a setting means
//   mergekit-methods.ts  its methods, parameters and dtypes against ours
//   mergekit-import.ts   config → recipe
//   mergekit-export.ts   recipe → config
export { importMergekit, type MergekitImport } from './mergekit-import';
export { exportMergekit, type MergekitExport } from './mergekit-export';
