/** Timing and the process figures every engine's run reports. */
import { readFileSync } from 'node:fs';

export const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** Runs `count` jobs, `workers` at a time, and answers each one's time in ms. */
export async function timedPool(count: number, workers: number, job: (i: number) => Promise<void>) {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await job(i);
        times.push(performance.now() - t0);
      }
    }),
  );
  return { times, seconds: (performance.now() - started) / 1000 };
}

/** What an engine's run prints for the table: one JSON line on stdout. */
export interface EngineResult {
  engine: 'orquesta' | 'temporal' | 'dbos';
  orders: number;
  seconds: number;
  times: number[];
  /** Peak RSS (MB) and CPU seconds of each process of the engine's own. */
  processes: Record<string, { peakRssMb: number; cpuSeconds: number }>;
}

/** CPU seconds this process has used (user + system), from /proc. */
export const cpuSeconds = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** Prints this engine process's result line for peers.ts (its own peak RSS, CPU since `cpuBefore`) and exits. */
export function reportAndExit(
  engine: EngineResult['engine'],
  processName: string,
  run: { times: number[]; seconds: number },
  cpuBefore: number,
): never {
  const peakRssMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
  const result: EngineResult = {
    engine,
    orders: run.times.length,
    seconds: run.seconds,
    times: run.times,
    processes: { [processName]: { peakRssMb, cpuSeconds: cpuSeconds() - cpuBefore } },
  };
  console.log(JSON.stringify(result));
  process.exit(0);
}
