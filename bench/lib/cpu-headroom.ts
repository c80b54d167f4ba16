import { Worker } from 'node:worker_threads';

/** A thread that, each time it is sent a duration (ms), hashes 1 KiB blocks that long and replies how many. */
const SPINNER = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const block = Buffer.alloc(1024, 7);
parentPort.on('message', (ms) => {
  const end = performance.now() + ms;
  let count = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i += 1) createHash('sha256').update(block).digest();
    count += 64;
  }
  parentPort.postMessage(count);
});
`;

function spin(worker: Worker, ms: number): Promise<number> {
  return new Promise((done, fail) => {
    worker.once('error', fail);
    worker.once('message', (count: number) => {
      worker.off('error', fail);
      done(count);
    });
    worker.postMessage(ms);
  });
}

/**
 * How many cores this run can have right now: the work of 2 threads at once over that of 1
 * alone, in short slices alternating for `ms` each, so that a neighbour's bursts hit both alike.
 * 2 on an idle 2-core machine; nearer 1 while other processes keep a core busy. It is the ceiling
 * of any 2-process speed-up measured alongside.
 */
export async function cpuHeadroom(ms: number, slices = 10): Promise<number> {
  const workers = [new Worker(SPINNER, { eval: true }), new Worker(SPINNER, { eval: true })] as const;
  try {
    await Promise.all(workers.map((worker) => spin(worker, 50)));
    let alone = 0;
    let together = 0;
    for (let i = 0; i < slices; i += 1) {
      alone += await spin(workers[0], ms / slices);
      together += (await Promise.all(workers.map((worker) => spin(worker, ms / slices)))).reduce((a, b) => a + b, 0);
    }
    return together / alone;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
