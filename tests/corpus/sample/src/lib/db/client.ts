import { PrismaClient } from '@prisma/client';

declare global {
  // eslint-disable-next-line no-var
  var __prisma: PrismaClient | undefined;
}

/** One client per process; Next.js dev reloads would otherwise open a pool per reload. */
export const prisma: PrismaClient =
  globalThis.__prisma ??
  new PrismaClient({
    log: process.env.NODE_ENV === 'development' ? ['query', 'warn', 'error'] : ['error'],
    transactionOptions: { maxWait: 5_000, timeout: 15_000 },
  });

if (process.env.NODE_ENV !== 'production') {
  globalThis.__prisma = prisma;
}

export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
