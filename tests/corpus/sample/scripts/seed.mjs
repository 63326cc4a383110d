#!/usr/bin/env node
import { PrismaClient } from '@prisma/client';
import { readFile } from 'node:fs/promises';

const prisma = new PrismaClient();
const rows = JSON.parse(await readFile(new URL('./seed.json', import.meta.url), 'utf8'));

// PostgreSQL takes the whole batch in one statement; 500 rows keep each statement small.
for (let i = 0; i < rows.length; i += 500) {
  await prisma.media.createMany({ data: rows.slice(i, i + 500), skipDuplicates: true });
}
console.log(`seeded ${rows.length} media rows`);
await prisma.$disconnect();
