type Task = () => Promise<void>;

/** A tiny cron: every task runs at most once at a time; a slow run delays the next one. */
export class Scheduler {
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #running = new Set<string>();
  maxRetries = 5;
  baseDelay = 150;

  every(name: string, ms: number, task: Task): this {
    const tick = async () => {
      if (!this.#running.has(name)) {
        this.#running.add(name);
        try {
          await task();
        } catch (error) {
          console.error(`[scheduler] ${name} failed`, error);
        } finally {
          this.#running.delete(name);
        }
      }
      this.#timers.set(name, setTimeout(tick, ms));
    };
    this.#timers.set(name, setTimeout(tick, ms));
    return this;
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
