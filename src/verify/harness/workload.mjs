// The media-sync workload, run by `pgshift verify` through the project's own Prisma client.
// pgshift writes this file, a config and a generated client for its workload models into a
// temporary folder outside the project; it reads the JSON lines this script prints on stdout:
// `ready` once the client is connected, `progress` every few hundred ms, `done` with the
// measurements. Nothing here is tuned: every knob comes from the config.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const started = performance.now();
const now = () => performance.now() - started;
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const clientModule = await import(pathToFileURL(config.client).href);
const PrismaClient = clientModule.PrismaClient ?? clientModule.default?.PrismaClient;
const options = {};
if (config.adapter) {
  const adapterModule = await import(config.adapter.module);
  const Adapter = adapterModule[config.adapter.export] ?? adapterModule.default?.[config.adapter.export];
  options.adapter = config.adapter.second === undefined
    ? new Adapter(config.adapter.config)
    : new Adapter(config.adapter.config, config.adapter.second);
}
if (config.datasourceUrl) options.datasourceUrl = config.datasourceUrl;
if (config.transactionOptions) options.transactionOptions = config.transactionOptions;
const prisma = new PrismaClient(options);
await prisma.$connect();
emit({ event: 'ready', startupMs: now() });

const w = config.workload;
const stats = {
  txMs: [], longestTxMs: 0, singleMs: [], errors: {}, failedOperations: {},
  filesSynced: 0, bytesSynced: 0, filesFailed: 0, queueOk: [0, 0, 0], queueFailed: [0, 0, 0],
  progressFailedFiles: 0, progressFailedFailed: 0, progressFailedBytes: 0, resultsTotal: 0,
  workerTxOk: 0,
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function codeOf(error) {
  if (error && typeof error.code === 'string') return error.code;
  const cause = error?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause?.kind) return String(cause.kind);
  return error?.name ?? 'Error';
}

function messageOf(error) {
  const text = error instanceof Error ? error.message : String(error);
  // Prisma prefixes the call site; the last non-empty lines say what happened.
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-2).join(' ').slice(0, 400);
}

/** The app's retry policy: transient errors are retried, `database is locked` only while the code does. */
function retryable(code, message) {
  if (['P2034', 'P2024', 'P1001', 'P1002', 'P1017', '40001', '40P01'].includes(code)) return true;
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(message)) return true;
  const locked = code === 'P1008' || /SQLITE_BUSY|database is locked|database table is locked/i.test(message);
  return locked && w.retryLocked;
}

async function withRetry(what, op) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      const code = codeOf(error);
      const message = messageOf(error);
      const retry = retryable(code, message) && attempt < w.maxRetries;
      const key = `${code}\u0000${message.includes('Unable to start a transaction') ? 'start' : message.includes('expired') || message.includes('already closed') || message.includes('timeout for this transaction') ? 'expired' : ''}`;
      const entry = (stats.errors[key] ??= { code, message, count: 0, retried: 0 });
      entry.count++;
      if (retry) entry.retried++;
      else stats.failedOperations[what] = (stats.failedOperations[what] ?? 0) + 1;
      if (!retry) throw error;
      await sleep(w.baseDelayMs * 2 ** attempt);
    }
  }
}

async function single(op) {
  const t = performance.now();
  try {
    return await op();
  } finally {
    stats.singleMs.push(performance.now() - t);
  }
}

async function transaction(body) {
  const t = performance.now();
  let ok = false;
  try {
    const result = await prisma.$transaction(body, w.txCallOptions ?? undefined);
    ok = true;
    return result;
  } finally {
    const ms = performance.now() - t;
    stats.longestTxMs = Math.max(stats.longestTxMs, ms);
    if (ok) stats.txMs.push(ms);
  }
}

function file(index) {
  const exts = ['jpg', 'png', 'webp', 'mp4'];
  const mimes = ['image/jpeg', 'image/png', 'image/webp', 'video/mp4'];
  const filename = `${String(index).padStart(6, '0')}.${exts[index % 4]}`;
  return {
    id: `c${w.runId}${String(index).padStart(7, '0')}`,
    key: `library/${String(Math.floor(index / 100)).padStart(3, '0')}/${filename}`,
    filename,
    mimeType: mimes[index % 4],
    size: 1024 + ((index * 7919) % 200000),
    etag: (BigInt(index) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn).toString(16).padStart(16, '0'),
  };
}

const upsert = (client, f) =>
  client.media.upsert({
    where: { key: f.key },
    create: { id: f.id, key: f.key, filename: f.filename, mimeType: f.mimeType, size: f.size, etag: f.etag },
    update: { size: f.size, etag: f.etag },
  });

const files = Array.from({ length: w.files }, (_, i) => file(i));
const batches = [];
if (w.files >= w.minFilesForBatching && w.batchSize > 0) {
  for (let at = 0; at < files.length; at += w.batchSize) batches.push(files.slice(at, at + w.batchSize));
} else if (files.length > 0) {
  batches.push(files);
}

// The three queues: processing (two writes), sync, watermark; p-queue-like, at their concurrency.
let syncDone = false;
const queues = [[], [], []];
const waiting = [[], [], []];
const closed = [false, false, false];
function enqueue(queue, item) {
  const waiter = waiting[queue].shift();
  if (waiter) waiter(item);
  else queues[queue].push(item);
}
function take(queue) {
  if (queues[queue].length > 0) return Promise.resolve(queues[queue].shift());
  if (closed[queue]) return Promise.resolve(null);
  return new Promise((resolve) => waiting[queue].push(resolve));
}
function closeQueue(queue) {
  closed[queue] = true;
  for (const waiter of waiting[queue].splice(0)) waiter(null);
}

function queueStep(step, f) {
  const data = {
    processingStart: { status: 'PROCESSING' },
    processingDone: { status: 'READY', width: 1920, height: 1080 },
    watermark: { watermarked: true },
    recheck: { etag: `v:${f.etag}` },
  }[step];
  return prisma.media.update({ where: { key: f.key }, data });
}

async function queueWorker(queue) {
  const steps = [['processingStart', 'processingDone'], ['recheck'], ['watermark']][queue];
  const what = ['processing queue', 'sync queue', 'watermark queue'][queue];
  for (;;) {
    if (syncDone) return;
    const f = await take(queue);
    if (f === null || syncDone) return;
    let ok = true;
    for (let at = 0; at < steps.length; at++) {
      if (at + 1 === steps.length && w.ioLatencyMs > 0) await sleep(w.ioLatencyMs);
      try {
        await withRetry(what, () => single(() => queueStep(steps[at], f)));
      } catch {
        ok = false;
        stats.queueFailed[queue]++;
        break;
      }
    }
    if (ok) stats.queueOk[queue]++;
  }
}

// The sync worker of the per-object shape: one interactive transaction per object.
async function syncWorker() {
  for (;;) {
    const f = await take(1);
    if (f === null) return;
    try {
      await withRetry('sync worker transaction', () =>
        transaction(async (tx) => {
          await upsert(tx, f);
          await tx.mediaSyncJob.update({
            where: { id: w.workerJobId },
            data: { processedFiles: { increment: 1 }, processedBytes: { increment: f.size } },
          });
        }),
      );
      stats.workerTxOk++;
      stats.queueOk[1]++;
    } catch {
      stats.queueFailed[1]++;
    }
  }
}

async function progress(okFiles, failedFiles, okBytes) {
  try {
    await withRetry('progress update', () =>
      single(() =>
        prisma.mediaSyncJob.update({
          where: { id: w.jobId },
          data: {
            processedFiles: { increment: okFiles },
            failedFiles: { increment: failedFiles },
            processedBytes: { increment: okBytes },
          },
        }),
      ),
    );
  } catch {
    stats.progressFailedFiles += okFiles;
    stats.progressFailedFailed += failedFiles;
    stats.progressFailedBytes += okBytes;
  }
}

function synced(batch) {
  for (const f of batch) {
    stats.filesSynced++;
    stats.bytesSynced += f.size;
    enqueue(0, f);
    enqueue(2, f);
  }
}

// The batch shape: parallelLimit workers, one interactive transaction per batch.
async function batchWorker(next) {
  for (;;) {
    const index = next.value++;
    if (index >= batches.length) return;
    const batch = batches[index];
    if (w.ioLatencyMs > 0) await sleep(w.ioLatencyMs * batch.length);
    let ok = false;
    try {
      await withRetry('batch transaction', () =>
        transaction(async (tx) => {
          for (const f of batch) await upsert(tx, f);
        }),
      );
      ok = true;
    } catch {
      stats.filesFailed += batch.length;
    }
    stats.resultsTotal += batch.length;
    const bytes = batch.reduce((sum, f) => sum + f.size, 0);
    if (ok) {
      synced(batch);
      for (const f of batch) enqueue(1, f);
      await progress(batch.length, 0, bytes);
    } else {
      await progress(0, batch.length, 0);
    }
  }
}

// The per-object shape: batches one after another, parallelLimit lanes of single upserts.
async function perObjectService() {
  for (const batch of batches) {
    let cursor = 0;
    let okFiles = 0;
    let okBytes = 0;
    let failed = 0;
    const lanes = Array.from({ length: Math.min(w.parallelLimit, batch.length) }, async () => {
      while (cursor < batch.length) {
        const f = batch[cursor++];
        if (w.ioLatencyMs > 0) await sleep(w.ioLatencyMs);
        try {
          await withRetry('sync upsert', () => single(() => upsert(prisma, f)));
          okFiles++;
          okBytes += f.size;
          synced([f]);
          enqueue(1, f);
        } catch {
          failed++;
          stats.filesFailed++;
        }
      }
    });
    await Promise.all(lanes);
    stats.resultsTotal += batch.length;
    await progress(okFiles, failed, okBytes);
  }
}

const ticker = setInterval(() => {
  emit({
    event: 'progress', elapsedMs: now(), synced: stats.filesSynced, failed: stats.filesFailed,
    workerTx: stats.workerTxOk, queueOk: stats.queueOk, errors: Object.values(stats.errors),
    failedOperations: stats.failedOperations,
  });
}, 250);

const t0 = performance.now();
const queueWorkers = [];
for (const queue of [0, 2]) {
  for (let i = 0; i < Math.max(1, w.queueConcurrency[queue]); i++) queueWorkers.push(queueWorker(queue));
}
const syncQueueWorkers = [];
for (let i = 0; i < Math.max(1, w.queueConcurrency[1]); i++) {
  syncQueueWorkers.push(w.pattern === 'per-object' ? syncWorker() : queueWorker(1));
}
if (w.pattern === 'per-object') {
  await perObjectService();
  // The sync is over once the worker has written every object the service handed it.
  closeQueue(1);
  await Promise.all(syncQueueWorkers);
} else {
  const next = { value: 0 };
  await Promise.all(Array.from({ length: Math.max(1, w.parallelLimit) }, () => batchWorker(next)));
}
const syncMs = performance.now() - t0;
syncDone = true;
for (const queue of [0, 1, 2]) closeQueue(queue);
await Promise.all(queueWorkers);
if (w.pattern !== 'per-object') await Promise.all(syncQueueWorkers);
try {
  await withRetry('job finalize', () =>
    single(() =>
      prisma.mediaSyncJob.update({
        where: { id: w.jobId },
        data: { status: stats.filesFailed > 0 ? 'FAILED' : 'DONE', finishedAt: new Date() },
      }),
    ),
  );
} catch {
  // counted in failedOperations
}
const totalMs = performance.now() - t0;
clearInterval(ticker);
emit({ event: 'done', syncMs, totalMs, ...stats, errors: Object.values(stats.errors) });
await prisma.$disconnect();
