const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** Wraps each case-insensitive occurrence of a term in <mark>. */
export function highlight(text: string, terms: readonly string[]): string {
  const wanted = terms.filter(Boolean).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (wanted.length === 0) return escapeHtml(text);
  const pattern = new RegExp(`(${wanted.join('|')})`, 'gi');
  return text
    .split(pattern)
    .map((part, i) => (i % 2 === 1 ? `<mark>${escapeHtml(part)}</mark>` : escapeHtml(part)))
    .join('');
}

export function truncate(text: string, max = 140, ellipsis = '…'): string {
  return text.length <= max ? text : text.slice(0, max - ellipsis.length) + ellipsis;
}
