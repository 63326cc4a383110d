'use client';

import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

export interface MediaItem {
  id: string;
  title: string;
  thumbnailUrl?: string | null;
  status: 'PENDING' | 'PROCESSING' | 'READY' | 'FAILED';
}

interface Props<T extends MediaItem> {
  items: readonly T[];
  columns?: number;
  renderBadge?: (item: T) => ReactNode;
  onSelect?(item: T): void;
}

const statusLabel = {
  PENDING: 'Waiting',
  PROCESSING: 'Processing…',
  READY: 'Ready',
  FAILED: 'Failed',
} satisfies Record<MediaItem['status'], string>;

export function MediaGrid<T extends MediaItem>({ items, columns = 4, renderBadge, onSelect }: Props<T>) {
  const [selected, setSelected] = useState<string | null>(null);
  const [visible, setVisible] = useState(24);
  const sentinel = useRef<HTMLDivElement>(null);
  const shown = useMemo(() => items.slice(0, visible), [items, visible]);

  useEffect(() => {
    const node = sentinel.current;
    if (!node) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setVisible((v) => Math.min(v + 24, items.length));
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [items.length]);

  const select = useCallback(
    (item: T) => {
      setSelected(item.id);
      onSelect?.(item);
    },
    [onSelect],
  );

  return (
    <>
      <ul className="grid" style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
        {shown.map((item) => (
          <li key={item.id} aria-selected={selected === item.id} onClick={() => select(item)}>
            {item.thumbnailUrl ? <img src={item.thumbnailUrl} alt={item.title} loading="lazy" /> : <span className="placeholder" />}
            <p title={statusLabel[item.status]}>
              {item.title}
              {renderBadge && <>{' '}{renderBadge(item)}</>}
            </p>
          </li>
        ))}
      </ul>
      {visible < items.length && <div ref={sentinel} aria-hidden />}
    </>
  );
}
