// A file someone was in the middle of writing: it does not parse.
export function unfinished(items: string[] {
  return items.map((item) => item.trim(
}
