import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { Logger } from 'pino';

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** Once, when the first worker listens: the address they share. */
  onListening: (address: { address: string | null; port: number }) => void;
  /** Milliseconds the workers have to drain after SIGTERM before they are killed (default 30 s). */
  stopTimeout?: number;
  /** Restart delay of a dead worker: from `min`, doubling while workers keep dying young, up to `max` (ms). */
  restartDelay?: { min: number; max: number };
}

/** A worker that lived this long before dying resets the restart back-off. */
const STABLE_AFTER_MS = 60_000;

/**
 * The primary of `serve --workers N`. It serves nothing itself: it forks N workers that share the
 * listening port (each runs the identity service), forwards SIGHUP to them (key reload), restarts
 * a worker that dies with a back-off, and on SIGTERM/SIGINT stops them all and exits 0 once they
 * have drained (1 if one had to be killed). A worker that dies before any worker ever listened is
 * a start-up failure (bad settings, port in use, database down): the primary stops and exits 1
 * rather than restart it forever.
 */
export function runCluster({
  workers,
  logger,
  onListening,
  stopTimeout = 30_000,
  restartDelay = { min: 1000, max: 30_000 },
}: ClusterOptions): void {
  let stopping = false;
  let started = false;
  let delay = restartDelay.min;
  const restarts = new Set<NodeJS.Timeout>();
  /** Workers serving; SIGHUP goes to them. One still starting gets it once it listens. */
  const listening = new Set<Worker>();
  const reloadPending = new Set<Worker>();

  const fork = () => {
    const worker = cluster.fork();
    const pid = worker.process.pid;
    const forkedAt = Date.now();
    worker.once('listening', (address) => {
      listening.add(worker);
      logger.info({ worker: pid }, 'Worker listening');
      if (reloadPending.delete(worker)) worker.process.kill('SIGHUP');
      if (!started) {
        started = true;
        onListening(address);
      }
    });
    worker.once('exit', (code, signal) => {
      listening.delete(worker);
      reloadPending.delete(worker);
      if (stopping) return;
      if (!started) {
        logger.error({ worker: pid, code, signal }, 'A worker failed to start: stopping');
        stop('start-up failure', 1);
        return;
      }
      // One that ran a while resets the back-off; each one dying young (a crash loop) doubles it.
      if (Date.now() - forkedAt > STABLE_AFTER_MS) delay = restartDelay.min;
      const wait = delay;
      delay = Math.min(delay * 2, restartDelay.max);
      logger.error({ worker: pid, code, signal, restartInMs: wait }, 'Worker died; restarting it');
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (!stopping) fork();
      }, wait);
      restarts.add(timer);
    });
  };

  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());

  const stop = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'Stopping the workers');
    for (const timer of restarts) clearTimeout(timer);
    const running = alive();
    if (running.length === 0) process.exit(exitCode);
    let left = running.length;
    const killer = setTimeout(() => {
      const stuck = alive();
      logger.error({ workers: stuck.map((w) => w.process.pid), afterMs: stopTimeout }, 'Workers did not drain in time: killing them');
      for (const worker of stuck) worker.process.kill('SIGKILL');
      exitCode = 1;
    }, stopTimeout);
    for (const worker of running) {
      worker.once('exit', () => {
        left -= 1;
        if (left > 0) return;
        clearTimeout(killer);
        process.exit(exitCode);
      });
      worker.process.kill('SIGTERM');
    }
  };

  process.on('SIGHUP', () => {
    for (const worker of alive()) {
      if (listening.has(worker)) worker.process.kill('SIGHUP');
      else reloadPending.add(worker);
    }
  });
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));

  for (let i = 0; i < workers; i += 1) fork();
}

export const isClusterWorker = (): boolean => cluster.isWorker;

/**
 * A worker of `serve --workers N` leaves SIGINT to the primary: a Ctrl-C reaches the whole process
 * group, and the primary answers it by stopping each worker with SIGTERM. Call it first thing.
 */
export function leaveSigintToPrimary(): void {
  process.on('SIGINT', () => undefined);
}

/** A worker names itself (its pid) in an `x-worker` header of every response. */
export function nameWorkerInResponses(server: Server): void {
  const pid = String(process.pid);
  server.prependListener('request', (_req, res) => res.setHeader('x-worker', pid));
}
