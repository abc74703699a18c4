/**
 * The order shape every engine runs (issue 11): 20 steps, each writing one row to PostgreSQL, and
 * 6 external events, one after every third step, each delivered once the workflow waits for it.
 */
export const steps = 20;
export const events = 6;
/** The event that follows step n, if one does (after steps 3, 6, ... 18). */
export const eventAfter = (step: number) => (step % 3 === 0 && step / 3 <= events ? step / 3 : undefined);
