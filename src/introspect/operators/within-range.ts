/** Select events by the guest linear address they are at. */
import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import { eventAddress, type VmiEvent } from '../event.js';

/**
 * Keep the events whose `eventAddress` (the access's gla for mem-access
 * events, else RIP) lies in the half-open interval [start, end) of guest
 * linear addresses: `start` is in, `end` is not. Half-open so adjacent ranges
 * (a symbol's address up to the next symbol's, a page up to the next page)
 * neither overlap nor leave a gap, and `start === end` is the empty range.
 * Generic so a stream narrowed by `ofReason` keeps its type.
 *
 * @throws RangeError at call time when `end < start`: an inverted range would
 *   otherwise silently match nothing.
 */
export function withinRange<T extends VmiEvent = VmiEvent>(start: bigint, end: bigint): MonoTypeOperatorFunction<T> {
  if (end < start) throw new RangeError(`withinRange: end 0x${end.toString(16)} is below start 0x${start.toString(16)}`);
  return filter((e) => {
    const a = eventAddress(e);
    return a >= start && a < end;
  });
}
