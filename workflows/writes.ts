/**
 * The rows a workflow owns are written by activities it schedules, one after another in the
 * order the changes were made, so a later write never lands before an earlier one. An update
 * handler queues its write here and answers once it is done: a read right after the answer is
 * never stale, and the handler itself awaits no remote activity (each costs two workflow tasks
 * and a server round trip; the queued local activity runs inside the same workflow task).
 */
import { CancellationScope, CancelledFailure } from '@temporalio/workflow';

export type Write = <T>(run: () => Promise<T>) => Promise<T>;

export function writesInOrder(o: { survivesCancel: boolean; refusedAfterCancel?: boolean }): Write {
  let tail: Promise<unknown> = Promise.resolve();
  return (run) => {
    // The cancelled flow starts nothing new: a write it asks for after the cancel is not made.
    if (o.refusedAfterCancel && CancellationScope.current().consideredCancelled) {
      return Promise.reject(new CancelledFailure('the order is being cancelled'));
    }
    // A cancelled order still writes what it changed before the cancel: the row must not fall behind.
    const done = tail.then(() => (o.survivesCancel ? CancellationScope.nonCancellable(run) : run()));
    tail = done.catch(() => undefined);
    return done;
  };
}

/** Histories from before the queue ran each write where it was called. */
export const writesWhereCalled: Write = (run) => run();
