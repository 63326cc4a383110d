// Reads every row of every model through the real Prisma 7 client and prints canonical JSON:
// the same text for the same data on either database. Usage:
//   tsx readback.ts sqlite FILE
//   tsx readback.ts postgresql URL SCHEMA
//   tsx readback.ts insert URL SCHEMA    (creates rows without ids, prints their ids)
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import * as lite from "./generated/sqlite/client.ts";
import * as pg from "./generated/postgresql/client.ts";

const [mode, target, schema] = process.argv.slice(2);
// The two generated clients have the same models; one type serves both.
const prisma: lite.PrismaClient =
  mode === "sqlite"
    ? new lite.PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${target}` }) })
    : (new pg.PrismaClient({
        adapter: new PrismaPg({ connectionString: target }, { schema }),
      }) as unknown as lite.PrismaClient);

if (mode === "insert") {
  const user = await prisma.user.create({ data: { email: `new-${Date.now()}@example.com` } });
  const tag = await prisma.tag.create({ data: { label: `new-${Date.now()}` } });
  const team = await prisma.team.create({ data: { name: "new" } });
  const event = await prisma.event.create({ data: { name: "new" } });
  console.log(JSON.stringify({ user: user.id, tag: tag.id, team: team.id, event: event.id }));
  await prisma.$disconnect();
  process.exit(0);
}

function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return `bigint:${value}`;
  if (typeof value === "number") {
    if (Object.is(value, -0)) return "number:-0";
    if (!Number.isFinite(value)) return `number:${value}`;
    return value;
  }
  if (value instanceof Date) return `date:${value.toISOString()}`;
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString("base64")}`;
  if (typeof value === "object" && value !== null && "toFixed" in value && "d" in value) {
    return `decimal:${String(value)}`;
  }
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      out[key] = canonical((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

const ids = { select: { id: true }, orderBy: { id: "asc" as const } };
const data = {
  users: await prisma.user.findMany({
    orderBy: { id: "asc" },
    include: { favorites: ids },
  }),
  teams: await prisma.team.findMany({ orderBy: { id: "asc" } }),
  profiles: await prisma.profile.findMany({ orderBy: { userId: "asc" } }),
  posts: await prisma.post.findMany({
    orderBy: { title: "asc" },
    include: { tags: ids, favoredBy: ids },
  }),
  tags: await prisma.tag.findMany({ orderBy: { id: "asc" } }),
  samples: await prisma.sample.findMany({ orderBy: { id: "asc" } }),
  events: await prisma.event.findMany({ orderBy: { id: "asc" } }),
  stock: await prisma.stock.findMany({ orderBy: [{ sku: "asc" }, { warehouse: "asc" }] }),
};
// Text keys sort by code point here, whatever either database's collation says.
const byText = (key: (row: any) => string) => (a: any, b: any) =>
  key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
data.posts.sort(byText((p) => p.id));
data.stock.sort(byText((s) => `${s.sku}\u0000${String(s.warehouse).padStart(12, "0")}`));
console.log(JSON.stringify(canonical(data), null, 1));
await prisma.$disconnect();
