// When a weight merge and an ensemble coincide (seed 003), said once for the screen, the report and the CLI.
// Checked by tests/unit/compare/ensemble-linear.test.ts on a linear model and an MLP.
export const ENSEMBLE_NOTE =
  'The ensemble averages the members\' predicted probabilities; a merge is one model with the average of their weights. ' +
  'Averaging commutes with linear layers: for a linear model (softmax regression, logits = Wx + b) the merged model\'s logits ' +
  'are exactly the mean of the members\' logits, so the merge equals the ensemble of logits — which still differs a little from ' +
  'the ensemble of probabilities shown here, because softmax of a mean is not the mean of softmaxes. Once there is a ' +
  'nonlinearity (the ReLUs of an MLP or a CNN) the merge\'s logits are no longer the mean of the logits, and a merge of models ' +
  'from different basins can fall far below the ensemble; checkpoints of one run, fine-tunes of one model, or aligned models stay close.';
