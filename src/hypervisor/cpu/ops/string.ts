/** Placeholder: owned by a helper, not implemented yet. */
import type { OpcodeTable } from '../decode/table.js';

export function register(_t: OpcodeTable): void {}
