import { Context } from '@temporalio/activity';

/**
 * Runs a long activity while it heartbeats every second: a worker that dies under it is noticed
 * within the heartbeat timeout (not the whole start-to-close timeout), and a cancel reaches it.
 */
export async function heartbeating<T>(run: (context: Context) => Promise<T>): Promise<T> {
  const context = Context.current();
  const beating = setInterval(() => context.heartbeat(), 1_000);
  context.heartbeat();
  try {
    return await run(context);
  } finally {
    clearInterval(beating);
  }
}
