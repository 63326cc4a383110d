import { Prisma } from '@prisma/client';
import { prisma } from '../../lib/db/client';

export interface Hit {
  id: string;
  title: string;
  rank: number;
}

/** Full-text search over titles with PostgreSQL's own ranking. */
export async function searchTitles(query: string, limit = 20): Promise<Hit[]> {
  return prisma.$queryRaw<Hit[]>`
    SELECT "id", "title", ts_rank(to_tsvector('simple', "title"), plainto_tsquery('simple', ${query})) AS "rank"
    FROM "Media"
    WHERE to_tsvector('simple', "title") @@ plainto_tsquery('simple', ${query})
    ORDER BY "rank" DESC
    LIMIT ${limit}
  `;
}

export async function countByStatus(): Promise<Record<string, number>> {
  const rows = await prisma.$queryRaw<Array<{ status: string; n: bigint }>>(
    Prisma.sql`SELECT "status", count(*) AS n FROM "Media" GROUP BY "status"`,
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

export async function touch(ids: string[]): Promise<number> {
  return prisma.$executeRaw`UPDATE "Media" SET "updatedAt" = now() WHERE "id" = ANY(${ids})`;
}
