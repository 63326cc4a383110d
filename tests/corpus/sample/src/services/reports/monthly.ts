import { prisma } from '../../lib/db/client';

export interface MonthRow {
  month: string;
  uploads: number;
  bytes: bigint;
}

const MONTHLY = `
  SELECT to_char(date_trunc('month', "createdAt"), 'YYYY-MM') AS "month",
         count(*)::int AS "uploads",
         coalesce(sum("size"), 0)::bigint AS "bytes"
  FROM "Media"
  WHERE "createdAt" >= $1 AND "ownerId" = $2
  GROUP BY 1
  ORDER BY 1
`;

export function monthly(ownerId: string, since: Date): Promise<MonthRow[]> {
  return prisma.$queryRawUnsafe<MonthRow[]>(MONTHLY, since, ownerId);
}

export async function largestFolders(limit = 10) {
  return prisma.folder.findMany({
    where: {
      name: { contains: 'archive', mode: 'insensitive' },
      metadata: { path: ['retention', 'days'], gte: 30 },
    },
    orderBy: { media: { _count: 'desc' } },
    take: limit,
  });
}

export const lastMonth = (now = new Date()) => new Date(now.getFullYear(), now.getMonth() - 1, 1);
