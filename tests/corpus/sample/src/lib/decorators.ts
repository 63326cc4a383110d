const registry = new Map<string, Function>();

export function Injectable(name?: string) {
  return function <T extends new (...args: any[]) => object>(target: T, _context?: unknown): T {
    registry.set(name ?? target.name, target);
    return target;
  };
}

export function Memoize(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    const cache = new WeakMap<object, Map<string, unknown>>();
    descriptor.value = function (this: object, ...args: unknown[]) {
      let byArgs = cache.get(this);
      if (!byArgs) cache.set(this, (byArgs = new Map()));
      const key = JSON.stringify(args);
      if (!byArgs.has(key)) byArgs.set(key, original.apply(this, args));
      return byArgs.get(key);
    };
    return descriptor;
  };
}

export abstract class Repository<TEntity extends { id: string }, TKey = TEntity['id']> {
  protected abstract readonly table: string;
  abstract find(id: TKey): Promise<TEntity | undefined>;
  findMany(ids: readonly TKey[]): Promise<Array<TEntity | undefined>>;
  findMany(ids: readonly TKey[], strict: true): Promise<TEntity[]>;
  async findMany(ids: readonly TKey[], strict = false): Promise<Array<TEntity | undefined>> {
    const found = await Promise.all(ids.map((id) => this.find(id)));
    if (strict && found.some((e) => e === undefined)) throw new Error(`${this.table}: missing rows`);
    return found;
  }
}

@Injectable('tags')
export class TagRepository extends Repository<{ id: string; label: string }> {
  protected readonly table = 'Tag';
  private rows: Record<string, { id: string; label: string }> = {};

  @Memoize()
  async find(id: string) {
    return this.rows[id];
  }
}

export namespace Ids {
  export const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(s);
  export namespace Short {
    export const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz' as const;
  }
}

export const enum Flags {
  None = 0,
  Hidden = 1 << 0,
  Pinned = 1 << 1,
  All = Hidden | Pinned,
}

export function* chunks<T>(items: Iterable<T>, size: number): Generator<T[], void, undefined> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

export async function* paginate<T>(load: (cursor?: string) => Promise<{ items: T[]; next?: string }>) {
  let cursor: string | undefined;
  do {
    const page = await load(cursor);
    yield* page.items;
    cursor = page.next;
  } while (cursor);
}

export const assertDefined: <T>(value: T | null | undefined, what: string) => asserts value is T = (value, what) => {
  if (value == null) throw new TypeError(`${what} is missing`);
};

let counter = 0n;
export const nextId = (): bigint => ++counter;
export const label = (n: number) => n.toLocaleString('en', { notation: 'compact' }) ?? `${n}`;
