// Every backward rule we have. A new op: write rules/<op>.ts exporting a BackwardRule, add it here.
import type { BackwardRule } from '../types';
import { addRule } from './add';
import { averagePoolRule } from './average-pool';
import { batchNormalizationRule } from './batch-normalization';
import { concatRule } from './concat';
import { convRule } from './conv';
import { dropoutRule } from './dropout';
import { gemmRule } from './gemm';
import { globalAveragePoolRule } from './global-average-pool';
import { identityRule } from './identity';
import { leakyReluRule } from './leaky-relu';
import { logSoftmaxRule } from './log-softmax';
import { matmulRule } from './matmul';
import { maxPoolRule } from './max-pool';
import { mulRule } from './mul';
import { reluRule } from './relu';
import { flattenRule, reshapeRule } from './reshape';
import { sigmoidRule } from './sigmoid';
import { subRule } from './sub';
import { tanhRule } from './tanh';

export const ALL_RULES: BackwardRule[] = [
  addRule, averagePoolRule, batchNormalizationRule, concatRule, convRule, dropoutRule, flattenRule, gemmRule,
  globalAveragePoolRule, identityRule, leakyReluRule, logSoftmaxRule, matmulRule, maxPoolRule, mulRule, reluRule,
  reshapeRule, sigmoidRule, subRule, tanhRule,
];
