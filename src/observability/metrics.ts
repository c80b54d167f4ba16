import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SsoErrorCode } from '../errors.js';

export type IssuedTokenType = 'session' | 'authorization';
/** `invalid`: the client's credentials were refused; `error`: the server could not tell (e.g. a key set unreachable). */
export type VerificationOutcome = 'valid' | 'invalid' | 'error';
export type LoginOutcome = 'success' | 'invalid_credentials' | 'throttled' | 'error';
/** What a throttled login was counted by (the login throttle's kinds: the label values of `sso_login_throttled_total`). */
const THROTTLE_KINDS = ['username_ip', 'username', 'ip', 'password'] as const;
export type ThrottledBy = (typeof THROTTLE_KINDS)[number];

/** What `createSsoContext` reports for every request that presents a token (anonymous ones are not counted). */
export interface TokenVerificationObserver {
  /** `reason` is the refusal's `SsoError` code, `''` for a valid token or an error of unknown cause. */
  tokenVerified(outcome: VerificationOutcome, reason: SsoErrorCode | ''): void;
}

/** What `observeDatabase` reports. */
export interface DatabaseObserver {
  /** A query that ran, successfully or not. */
  databaseQuery(seconds: number): void;
  databaseError(): void;
}

export interface SsoMetricsOptions {
  /** prom-client's process metrics (CPU, memory, event loop lag, GC) on the same registry. Default `true`. */
  processMetrics?: boolean;
}

const VALID = { outcome: 'valid', reason: '' } as const;

/** Query durations from a local socket (under 1 ms) to a struggling server (seconds). */
const QUERY_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The Prometheus metrics of one service, on a registry of its own (never prom-client's global
 * one), so that two services in one process count apart. Every label value is created at zero,
 * so that a rate is defined before the first event.
 */
export class SsoMetrics implements TokenVerificationObserver, DatabaseObserver {
  readonly registry = new Registry();
  private readonly tokensIssued: Counter<'type'>;
  private readonly verifications: Counter<'outcome' | 'reason'>;
  /**
   * Valid tokens since the last scrape, moved to the counter by the scrape: every request of every
   * subgraph passes here, and a labelled prom-client increment (~0.8 µs) would weigh on a
   * verified-token cache hit, where adding to a number costs nothing.
   */
  private validTokens = 0;
  private readonly logins: Counter<'outcome'>;
  private readonly throttled: Counter<'kind'>;
  private readonly databaseErrors: Counter;
  private readonly queryDuration: Histogram;

  constructor(options: SsoMetricsOptions = {}) {
    const registers = [this.registry];
    this.tokensIssued = new Counter({ name: 'sso_tokens_issued_total', help: 'Tokens issued, by type.', labelNames: ['type'], registers });
    this.verifications = new Counter({
      name: 'sso_token_verifications_total',
      help: 'Requests that presented a token, by outcome and, when refused, the SsoError code why.',
      labelNames: ['outcome', 'reason'],
      registers,
      collect: () => this.flushValidTokens(),
    });
    this.logins = new Counter({
      name: 'sso_logins_total',
      help: 'Login attempts (obtainSessionToken, POST /session/), by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.throttled = new Counter({
      name: 'sso_login_throttled_total',
      help: 'Login attempts refused by the throttle, by what it keyed them by.',
      labelNames: ['kind'],
      registers,
    });
    this.databaseErrors = new Counter({ name: 'sso_database_errors_total', help: 'Database queries that failed.', registers });
    this.queryDuration = new Histogram({
      name: 'sso_database_query_duration_seconds',
      help: 'Duration of database queries, failed ones included.',
      buckets: QUERY_SECONDS_BUCKETS,
      registers,
    });
    for (const type of ['session', 'authorization'] satisfies IssuedTokenType[]) this.tokensIssued.inc({ type }, 0);
    for (const outcome of ['success', 'invalid_credentials', 'throttled', 'error'] satisfies LoginOutcome[])
      this.logins.inc({ outcome }, 0);
    for (const kind of THROTTLE_KINDS) this.throttled.inc({ kind }, 0);
    this.verifications.inc(VALID, 0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The text exposition format's media type, for the `Content-Type` of a scrape. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Everything registered, in the text exposition format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  tokenIssued(type: IssuedTokenType): void {
    this.tokensIssued.inc({ type });
  }

  tokenVerified(outcome: VerificationOutcome, reason: SsoErrorCode | ''): void {
    if (outcome === 'valid') this.validTokens++;
    else this.verifications.inc({ outcome, reason });
  }

  private flushValidTokens(): void {
    if (this.validTokens === 0) return;
    this.verifications.inc(VALID, this.validTokens);
    this.validTokens = 0;
  }

  login(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  /** For the login throttle: one attempt it refused, keyed by `kind`. */
  loginThrottled(kind: ThrottledBy): void {
    this.throttled.inc({ kind });
  }

  databaseQuery(seconds: number): void {
    this.queryDuration.observe(seconds);
  }

  databaseError(): void {
    this.databaseErrors.inc();
  }
}
