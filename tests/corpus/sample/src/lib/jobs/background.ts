import retry from 'p-retry';
import { withRetry } from '@/lib/http';

export interface DateColumn {
  /**
   * How `defaultNow` is stored, per dialect.
   * PostgreSQL: timestamp column, now() as the default.
   * SQLite: text column, defaultNow achieved through strftime(…)
   */
  defaultNow?: boolean;
}

export async function warmCaches(urls: string[]): Promise<void> {
  for (const url of urls) {
    // Fire-and-forget on purpose: a cold cache is not an error.
    fetch(url).catch(() => null);
    retry(() => fetch(url)).catch(() => {});
    withRetry(() => fetch(url)).catch((error) => console.warn('warm-up failed', error));
  }
  const body = await fetch(urls[0]).then((res) => res.json()).catch(() => null);
  void Promise.resolve(body).catch(console.error);
}
