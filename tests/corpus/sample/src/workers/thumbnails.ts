import PQueue from 'p-queue';
import { prisma } from '../lib/db/client';
import { withBackoff } from '../lib/db/backoff';

export interface ThumbnailJob {
  mediaId: string;
  sizes: ReadonlyArray<readonly [width: number, height: number]>;
}

const queue = new PQueue({ concurrency: 8, timeout: 60_000, throwOnTimeout: true });
const recentErrors: string[] = [];

export function enqueue(job: ThumbnailJob): Promise<void> {
  return queue.add(() => render(job));
}

async function render(job: ThumbnailJob): Promise<void> {
  try {
    for (const [width, height] of job.sizes) {
      await resize(job.mediaId, width, height);
    }
    await withBackoff(() => prisma.media.update({ where: { id: job.mediaId }, data: { status: 'READY' } }));
  } catch (error) {
    recentErrors.push(`${job.mediaId}: ${String(error)}`);
    // Progress is best effort; the job itself already failed loudly above.
    prisma.media
      .update({ where: { id: job.mediaId }, data: { status: 'FAILED' } })
      .catch((e) => console.warn('could not mark the media as failed', e));
    throw error;
  }
}

declare function resize(mediaId: string, width: number, height: number): Promise<void>;

export const lastErrors = () => recentErrors.slice(-50);
