import { NextResponse, type NextRequest } from 'next/server';
import { prisma } from '@/lib/db/client';
import { withBackoff } from '@/lib/db/backoff';

export const dynamic = 'force-dynamic';

export async function GET(request: NextRequest) {
  const { searchParams } = new URL(request.url);
  const cursor = searchParams.get('cursor') ?? undefined;
  const take = Math.min(Number(searchParams.get('take') ?? 50), 200);
  const items = await withBackoff(() =>
    prisma.media.findMany({
      take: take + 1,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      orderBy: { createdAt: 'desc' },
      where: { title: { startsWith: searchParams.get('prefix') ?? '', mode: 'default' } },
    }),
  );
  const next = items.length > take ? items.pop()!.id : null;
  return NextResponse.json({ items, next });
}

export async function DELETE(request: NextRequest) {
  const ids: unknown = await request.json();
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
    return NextResponse.json({ error: 'expected an array of ids' }, { status: 400 });
  }
  const { count } = await prisma.media.deleteMany({ where: { id: { in: ids } } });
  return NextResponse.json({ count });
}
