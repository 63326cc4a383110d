import { isTransient, RetryExhaustedError } from './errors';

export interface BackoffOptions {
  attempts?: number;
  firstDelayMs?: number;
  factor?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

/**
 * Runs `fn` again while it fails with a transient PostgreSQL or network error.
 * The delays grow by `factor`; a jitter of up to 20 % keeps workers from retrying in step.
 */
export async function withBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  { attempts = 4, firstDelayMs = 100, factor = 2, signal }: BackoffOptions = {},
): Promise<T> {
  let delay = firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isTransient(error) || attempt >= attempts) {
        throw attempt > 1 ? new RetryExhaustedError(attempt, error) : error;
      }
      await sleep(delay * (0.8 + Math.random() * 0.4), signal);
      delay *= factor;
    }
  }
}
