import { prisma } from "./client";

// Written on Windows: CRLF line endings and a byte order mark.
export async function countMedia(): Promise<number> {
  return prisma.media.count();
}

export const LIMITS = { batchSize: 50, parallelLimit: 5 } as const;
