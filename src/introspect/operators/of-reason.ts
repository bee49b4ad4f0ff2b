/** Select events by reason, narrowing the stream's type to those reasons. */
import { filter, type OperatorFunction } from 'rxjs';
import type { ReasonName, VmiEvent } from '../event.js';

/**
 * Keep the events whose `reason` is one of `reasons`; the result carries
 * `VmiEvent<R>`, so `data` is typed as those reasons' messages downstream.
 * With no reasons nothing passes (an empty selection, not "all").
 */
export function ofReason<R extends ReasonName>(...reasons: R[]): OperatorFunction<VmiEvent, VmiEvent<R>> {
  // A Set of the widened type so `has` accepts any reason without a cast.
  const wanted: ReadonlySet<ReasonName> = new Set(reasons);
  return filter((e): e is VmiEvent<R> => wanted.has(e.reason));
}
