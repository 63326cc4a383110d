import { Prisma } from '@prisma/client';

/** PostgreSQL and Prisma errors worth another try: connections, write conflicts, pool waits. */
const TRANSIENT_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024', 'P2034']);
const TRANSIENT_SQLSTATES = ['40001', '40P01'] as const;

export function isTransient(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    return TRANSIENT_CODES.has(error.code);
  }
  if (error instanceof Prisma.PrismaClientUnknownRequestError) {
    return TRANSIENT_SQLSTATES.some((state) => error.message.includes(state));
  }
  const code = (error as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'ETIMEDOUT';
}

export class RetryExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts`);
    this.name = 'RetryExhaustedError';
  }
}
