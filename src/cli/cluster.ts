import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** Once, when the first worker listens: the address they share. */
  onListening: (address: { address: string | null; port: number }) => void;
}

/**
 * The primary of `serve --workers N`: forks N workers that share the listening port (each runs the
 * identity service), forwards SIGHUP to them (key reload), restarts a worker that dies unexpectedly
 * with growing back-off, and on SIGTERM/SIGINT stops them all and exits when they have drained.
 */
export function runCluster({ workers, logger, onListening }: ClusterOptions): void {
  let stopping = false;
  let announced = false;
  let delay = 1000;
  const restarts = new Map<number, NodeJS.Timeout>();

  const fork = () => {
    const worker = cluster.fork();
    const startedAt = Date.now();
    worker.once('listening', (address) => {
      logger.info({ worker: worker.process.pid }, 'Worker listening');
      if (!announced) {
        announced = true;
        onListening(address);
      }
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      // A worker that ran a while before dying resets the back-off; one that dies at start grows it.
      delay = Date.now() - startedAt > 60_000 ? 1000 : Math.min(delay * 2, 30_000);
      logger.error({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'Worker died; restarting it');
      const timer = setTimeout(() => {
        restarts.delete(worker.id);
        if (!stopping) fork();
      }, delay);
      restarts.set(worker.id, timer);
    });
    return worker;
  };

  for (let i = 0; i < workers; i += 1) fork();

  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  process.on('SIGHUP', () => {
    for (const worker of alive()) worker.process.kill('SIGHUP');
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down the workers');
    for (const timer of restarts.values()) clearTimeout(timer);
    const running = alive();
    if (running.length === 0) process.exit(0);
    let left = running.length;
    for (const worker of running) {
      worker.once('exit', () => {
        left -= 1;
        if (left === 0) process.exit(0);
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export const isClusterWorker = () => cluster.isWorker;
