// Seeds a SQLite database, whose tables ddl/sqlite.sql created, through the real Prisma 7
// client with the better-sqlite3 adapter, and adds the two other DateTime forms real files
// hold with raw SQL: `YYYY-MM-DD HH:MM:SS` from the column DEFAULT and integer unix
// milliseconds. Usage: tsx seed.ts FILE
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient, Prisma } from "./generated/sqlite/client.ts";

const file = process.argv[2];
if (!file) throw new Error("usage: tsx seed.ts FILE");
const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });

// Children before parents in rowid order: the first user is managed by the second.
const ada = await prisma.user.create({ data: { email: "ada@example.com", name: "Ada" } });
const grace = await prisma.user.create({
  data: { email: "grace@example.com", name: "Grace Hopper", role: "ADMIN" },
});
const linus = await prisma.user.create({
  data: { email: "linus@example.com", role: "GUEST", managerId: grace.id },
});
await prisma.user.update({ where: { id: ada.id }, data: { managerId: grace.id } });
await prisma.user.update({ where: { id: grace.id }, data: { managerId: linus.id } });
// A cycle across two tables: a team owned by a user who is a member of it.
const team = await prisma.team.create({ data: { name: "Compilers", ownerId: ada.id } });
await prisma.user.update({ where: { id: ada.id }, data: { teamId: team.id } });
await prisma.user.update({ where: { id: grace.id }, data: { teamId: team.id } });
await prisma.team.create({ data: { name: "Nobody's" } });
await prisma.profile.create({ data: { userId: grace.id, bio: "COBOL\n\"quoted\" \\ back" } });

const tags = [];
for (const label of ["rust", "postgres", "ünïcödé 🏷️"]) {
  tags.push(await prisma.tag.create({ data: { label } }));
}
await prisma.post.create({
  data: {
    title: "Moving to PostgreSQL",
    authorId: ada.id,
    tags: { connect: [{ id: tags[0].id }, { id: tags[1].id }] },
    favoredBy: { connect: [{ id: grace.id }, { id: linus.id }] },
    publishedAt: new Date("2024-02-29T23:59:59.999Z"),
  },
});
await prisma.post.create({
  data: {
    title: "混合 text — עברית — emoji 👩‍💻",
    authorId: grace.id,
    tags: { connect: [{ id: tags[2].id }] },
    favoredBy: { connect: [{ id: ada.id }] },
  },
});

const samples: Prisma.SampleCreateInput[] = [
  {
    id: 1n,
    text: "plain",
    int: 2147483647,
    big: 9007199254740993n,
    float: 3.14,
    decimal: new Prisma.Decimal("1234.5678"),
    flag: true,
    at: new Date("2024-05-06T07:08:09.010Z"),
    json: { b: [1, 2.5, "x"], a: { nested: true, none: null } },
    bytes: Uint8Array.from([0, 1, 2, 254, 255]),
    role: "ADMIN",
  },
  {
    id: 9223372036854775807n,
    text: "",
    textOpt: "tab\there, newline\nthere, quote ' and \" and \\",
    int: -2147483648,
    intOpt: 0,
    big: -9223372036854775808n,
    bigOpt: 9223372036854775807n,
    float: Infinity,
    floatOpt: -Infinity,
    decimal: new Prisma.Decimal("-0.000000000000000000000000000001"),
    decOpt: new Prisma.Decimal("-99999.000001"),
    flag: false,
    flagOpt: false,
    at: new Date("1969-07-20T20:17:40.000Z"),
    atOpt: new Date("2999-12-31T23:59:59.999Z"),
    json: 3.14,
    jsonOpt: "a JSON string",
    bytes: new Uint8Array(0),
    bytesOpt: Uint8Array.from([7]),
    role: "MEMBER",
    roleOpt: "GUEST",
  },
  {
    id: -5n,
    text: "Grüße 👋 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301",
    int: 42,
    big: 0n,
    float: 5e-324,
    floatOpt: 1.7976931348623157e308,
    decimal: new Prisma.Decimal("0.1"),
    decOpt: new Prisma.Decimal("12345678901234567890.123456789012345678"),
    flag: true,
    flagOpt: true,
    at: new Date("1900-01-01T00:00:00.000Z"),
    json: [],
    jsonOpt: 12345678901234567890,
    bytes: Uint8Array.from(Array.from({ length: 300 }, (_, i) => i % 256)),
    role: "GUEST",
  },
  {
    id: 4n,
    text: "json edge cases",
    int: 1,
    big: 1n,
    float: -0.5,
    decimal: new Prisma.Decimal("100"),
    flag: false,
    at: new Date("2024-01-01T00:00:00.000Z"),
    json: true,
    jsonOpt: Prisma.JsonNull,
    bytes: Uint8Array.from([0]),
    role: "MEMBER",
  },
  {
    id: 5n,
    text: "more json",
    int: 2,
    big: 2n,
    float: 2,
    decimal: new Prisma.Decimal("0"),
    flag: true,
    at: new Date("2024-01-01T00:00:00.000Z"),
    json: { "ключ": "значение", "": "", emoji: "😀", big: 1e21, small: 1e-7, neg: -42 },
    bytes: Uint8Array.from([1, 2]),
    role: "MEMBER",
  },
];
for (const data of samples) await prisma.sample.create({ data });

// The other two DateTime forms, mixed in the same columns.
await prisma.$executeRawUnsafe(`UPDATE "Sample" SET "at" = 1714979289010 WHERE "id" = 4`);
await prisma.$executeRawUnsafe(`UPDATE "Sample" SET "at" = '2024-03-10 12:34:56' WHERE "id" = 5`);
await prisma.event.create({ data: { name: "through the client", at: new Date("2025-06-07T08:09:10.123Z") } });
await prisma.$executeRawUnsafe(`INSERT INTO "Event" ("name") VALUES ('raw insert, column default')`);
await prisma.$executeRawUnsafe(`INSERT INTO "Event" ("name", "at") VALUES ('raw insert, unix ms', 1714979289010)`);
await prisma.$executeRawUnsafe(`INSERT INTO "Event" ("name", "at") VALUES ('raw insert, offset', '2024-06-01T10:00:00.500+02:00')`);

for (const [sku, warehouse, quantity] of [["A-1", 1, 10], ["A-1", 2, 0], ["B-7", 1, -3]] as const) {
  await prisma.stock.create({ data: { sku, warehouse, quantity } });
}
await prisma.$disconnect();
