import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { prisma } from '../../lib/db/client';
import { withBackoff } from '../../lib/db/backoff';

const CSV_HEADER = 'id,title,size,createdAt\n';

/** Streams every media row to a CSV file, 1000 rows per query, keyset-paginated. */
export async function exportCsv(file: string, signal?: AbortSignal): Promise<number> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  out.write(CSV_HEADER);
  let cursor: string | undefined;
  let total = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const rows = await withBackoff(() =>
        prisma.media.findMany({
          take: 1000,
          ...(cursor && { cursor: { id: cursor }, skip: 1 }),
          orderBy: { id: 'asc' },
          select: { id: true, title: true, size: true, createdAt: true },
        }),
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const line = `${row.id},"${row.title.replaceAll('"', '""')}",${row.size},${row.createdAt.toISOString()}\n`;
        if (!out.write(line)) await once(out, 'drain');
      }
      total += rows.length;
      cursor = rows.at(-1)?.id;
    }
  } finally {
    out.end();
    await once(out, 'finish');
  }
  return total;
}
