// A real Stage 5 workaround outside the media services: the lock-error checks of the old
// SQLite setup, beside network checks that must stay.
export function shouldRetry(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code ?? '';
  return (
    code === 'SQLITE_BUSY' ||
    message.includes('database is locked') ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT'
  );
}
