/**
 * Time for the benchmarks, in one place: the clock every process stamps and
 * reads points with, and the pause. Runtime-neutral (no `Deno` API), so the
 * viewer client can import it under Bun as well.
 *
 * @module
 */

/**
 * Milliseconds since the epoch with sub-millisecond precision: a source in one
 * process stamps a point with it and a viewer in another reads its delay.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms` milliseconds (at once for a negative wait). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Settles as `promise` does, or rejects with `WHAT: no answer within MS ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
