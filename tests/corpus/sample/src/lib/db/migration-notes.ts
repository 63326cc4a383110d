// Migrated from SQLite to PostgreSQL in release 4.0; the data was copied with pgloader.
// SQLite remains the engine of the offline desktop build (see apps/desktop), not of this server.

/** Connection settings of the PostgreSQL pool, read once at start. */
export const pool = {
  url: process.env.DATABASE_URL,
  connectionLimit: Number(process.env.DB_POOL ?? 10),
  poolTimeoutSeconds: 10,
};

/** Lock timeout per statement: a blocked row lock on PostgreSQL waits at most this long. */
export const LOCK_TIMEOUT_MS = 2_000;

export function describeDatabase(url = pool.url ?? ''): string {
  const engine = url.startsWith('file:') ? 'sqlite' : url.split(':')[0];
  return `${engine} (${pool.connectionLimit} connections)`;
}
