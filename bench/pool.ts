/** Runs `count` jobs, `workers` at a time; answers their results in the order they finished. */
export async function runPool<T>(count: number, workers: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) results.push(await job(next++));
    }),
  );
  return results;
}
