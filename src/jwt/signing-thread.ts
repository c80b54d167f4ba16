import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { UnsignedPayload } from './claims.js';
import { signingInput, type SigningInput } from './lib/signing-input.js';
import type { TokenContext } from './options.js';

/** A token to sign, as the thread receives it: the key comes with each (cloning a `KeyObject` costs a few µs, and a rotated key is used at once). */
export interface SigningRequest extends SigningInput {
  id: number;
}

export type SigningReply = { id: number; token: string; error?: undefined } | { id: number; token?: undefined; error: Error };

interface PendingToken {
  resolve(token: string): void;
  reject(error: Error): void;
}

/**
 * `encodeJwtToken` with jsonwebtoken's signing on a worker thread: an RS256 signature takes about
 * 250 µs of CPU, which on the event loop would hold up every request in the meantime, and a
 * service that signs in parallel to serving mints more tokens per process (`npm run bench`,
 * identity service). The claims and the key are chosen here, so a token is the one
 * `encodeJwtToken` would sign. The thread starts with the first token and again after it stopped;
 * it keeps the process alive only while a token is being signed.
 */
export class SigningThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, PendingToken>();
  private nextId = 0;

  /**
   * The thread the `signingThread` setting asks for. `null`: one where the machine has more cores
   * than the `processes` serving on it (`serve --workers`), so that the thread has a core to
   * itself; else it would only add its messages' cost (10–80 µs of CPU per token).
   */
  static forSetting(setting: boolean | null, processes = 1): SigningThread | null {
    return (setting ?? availableParallelism() > processes) ? new SigningThread() : null;
  }

  async encode(payload: UnsignedPayload, context: TokenContext): Promise<string> {
    const input = signingInput(payload, context);
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...input } satisfies SigningRequest);
    });
  }

  /** Ends the thread; tokens it was signing are refused. A later `encode` starts another. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopped(worker, new Error('The token signing thread was closed.'));
    // Held until it has exited, so that whoever awaits the close resumes even with nothing else to do.
    worker.ref();
    await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(new URL('./lib/signing-worker.js', import.meta.url));
    worker.on('message', (reply: SigningReply) => {
      // A stopped thread's late answer: its token was refused already, and the thread must not be let go of before it exits.
      if (this.worker !== worker) return;
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error) pending?.reject(reply.error);
      else pending?.resolve(reply.token);
    });
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) => this.stopped(worker, new Error(`The token signing thread stopped (exit code ${code}).`)));
    this.worker = worker;
    return worker;
  }

  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const token of pending) token.reject(error);
  }
}
