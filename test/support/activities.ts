import { ApplicationFailure, Context } from '@temporalio/activity';

export function createTestActivities() {
  return {
    /** Fails on its first attempt, so histories show a retry with its failure. */
    async recordStep(step: string): Promise<string> {
      if (Context.current().info.attempt === 1) throw ApplicationFailure.retryable(`transient failure recording ${step}`, 'TransientError');
      return `recorded ${step}`;
    },
    /** Takes a while, heartbeating: an activity that is still running when the worker is told to stop. */
    async slowStep(ms: number): Promise<string> {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        Context.current().heartbeat();
        await new Promise((r) => setTimeout(r, 100));
      }
      return `slept ${ms} ms`;
    },
    async callActivationSystem(): Promise<void> {
      throw ApplicationFailure.retryable('activation system unavailable', 'ActivationUnavailable');
    },
    /** Never returns and never heartbeats: what a call looks like from the server once its worker is gone. */
    async hangingStep(): Promise<void> {
      await new Promise(() => {});
    },
    /** Heartbeats until cancelled: its heartbeats stop only when its worker does. */
    async beatingStep(): Promise<void> {
      const context = Context.current();
      const beating = setInterval(() => context.heartbeat(), 200);
      try {
        await context.cancelled;
      } finally {
        clearInterval(beating);
      }
    },
  };
}

export type TestActivities = ReturnType<typeof createTestActivities>;
