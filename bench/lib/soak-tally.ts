import { LatencyHistogram } from './histogram.js';

/** What the soak's virtual users do, in the report's order. */
export const SOAK_OPERATIONS = ['login', 'login (wrong password)', 'mint', 'me', 'subgraph', 'revoke', 'me (revoked session)'] as const;
export type SoakOperation = (typeof SOAK_OPERATIONS)[number];

/** One HTTP answer, reduced to what classifies it; or the failure to get one. */
export type Answer =
  | {
      kind: 'http';
      status: number;
      /** `errors[0].extensions.code`; `null` without errors; `NOT_JSON` for a body that is not JSON. */ code: string | null;
      /** The operation got what it asked for. */ ok: boolean;
      detail: string;
    }
  | { kind: 'network'; code: string; detail: string };

export interface OperationStats {
  requests: number;
  /** Answered as asked (a token, the user, the account). */
  succeeded: number;
  /** Refused as the soak meant (wrong password, revoked session): `UNAUTHENTICATED`. */
  refused: number;
  /** HTTP 429: a limit at work, not a fault. */
  throttled: number;
  unexpected: number;
  latency: LatencyHistogram;
}

export interface AnswerClass {
  count: number;
  unexpected: number;
  operations: Set<SoakOperation>;
}

/** The first few unexpected answers, for the report (never a token: only status, code and message). */
export interface UnexpectedSample {
  operation: SoakOperation;
  answer: string;
  detail: string;
}

const MAX_SAMPLES = 5;

/**
 * Counts every answer of a soak by operation and by class (`HTTP <status> <code>`, or
 * `network <code>`), and judges it: 5xx answers, network failures, and answers other than the
 * one the operation expects (a success, or an `UNAUTHENTICATED` or throttled refusal) are unexpected.
 */
export class SoakTally {
  readonly operations = new Map<SoakOperation, OperationStats>(
    SOAK_OPERATIONS.map((operation) => [
      operation,
      { requests: 0, succeeded: 0, refused: 0, throttled: 0, unexpected: 0, latency: new LatencyHistogram() },
    ]),
  );
  readonly classes = new Map<string, AnswerClass>();
  readonly samples: UnexpectedSample[] = [];
  unexpected = 0;

  record(operation: SoakOperation, expect: 'success' | 'refusal', answer: Answer, ms: number): void {
    const stats = this.operations.get(operation)!;
    stats.requests += 1;
    stats.latency.record(ms);
    const name = answer.kind === 'network' ? `network ${answer.code}` : `HTTP ${answer.status} ${answer.code ?? 'OK'}`;
    const entry = this.classes.get(name) ?? { count: 0, unexpected: 0, operations: new Set() };
    this.classes.set(name, entry);
    entry.count += 1;
    entry.operations.add(operation);

    let expected = false;
    if (answer.kind === 'http' && answer.status < 500) {
      if (answer.status === 429 || answer.code === 'TOO_MANY_REQUESTS') {
        // The decoy user's wrong passwords are meant to be throttled; anything else throttled is not.
        stats.throttled += 1;
        expected = expect === 'refusal';
      } else if (expect === 'success' && answer.ok) {
        stats.succeeded += 1;
        expected = true;
      } else if (expect === 'refusal' && !answer.ok && answer.code === 'UNAUTHENTICATED') {
        stats.refused += 1;
        expected = true;
      }
    }
    if (expected) return;
    stats.unexpected += 1;
    entry.unexpected += 1;
    this.unexpected += 1;
    if (this.samples.length < MAX_SAMPLES) this.samples.push({ operation, answer: name, detail: `expected ${expect}: ${answer.detail}` });
  }
}
