/** Select events by the vCPU that raised them. */
import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { VmiEvent } from '../event.js';

/**
 * Keep the events raised by one of `vcpus`. Generic so a stream already
 * narrowed (e.g. by `ofReason`) keeps its type. With no vCPUs nothing passes.
 */
export function onVcpu<T extends Pick<VmiEvent, 'vcpu'> = VmiEvent>(...vcpus: number[]): MonoTypeOperatorFunction<T> {
  const wanted: ReadonlySet<number> = new Set(vcpus);
  return filter((e) => wanted.has(e.vcpu));
}
