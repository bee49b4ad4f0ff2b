/** Functions generated block code calls by name through `H` (see snippets.ts). */
import { nonCanonical } from '../decode/ea.js';
import { testCondition } from '../flags.js';
import { incdec } from '../alu.js';
import { pop64, push64 } from '../stack.js';

export const HELPERS = { nonCanonical, testCondition, incdec, push64, pop64 } as const;
export type Helpers = typeof HELPERS;
