import type { Redis } from 'ioredis';
import type { ThrottleKey, ThrottleRefusal, ThrottleStore, ThrottleTiming } from './throttle-store.js';

/**
 * One script decides a whole reservation, so Redis runs it atomically. A key is a hash of
 * `f` (attempts counted), `t` (no further attempt before, ms) and `u` (last counted, ms; for a
 * fixed-window key, first counted); it expires a window after `u`. Same rules as `backoffAfter`.
 * KEYS: the keys; ARGV: now, window, base, max, then each key's free attempts and fixed-window flag.
 * Returns the refusing keys' positions (1-based) and waits, flattened; nothing when counted.
 */
const RESERVE = `
local now, window, base, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local counts, starts, refusals = {}, {}, {}
for i, key in ipairs(KEYS) do
  local row = redis.call('HMGET', key, 'f', 't', 'u')
  local f, t, u = tonumber(row[1]) or 0, tonumber(row[2]) or 0, tonumber(row[3]) or 0
  if u <= now - window then f, t, u = 0, 0, now end
  if f >= tonumber(ARGV[3 + 2 * i]) and t > now then
    refusals[#refusals + 1] = i
    refusals[#refusals + 1] = t - now
  end
  counts[i], starts[i] = f, u
end
if #refusals > 0 then return refusals end
for i, key in ipairs(KEYS) do
  local f, free, t, u = counts[i] + 1, tonumber(ARGV[3 + 2 * i]), 0, now
  if f >= free then t = now + math.min(max, base * 2 ^ (f - free)) end
  if ARGV[4 + 2 * i] == '1' then u = starts[i] end
  redis.call('HSET', key, 'f', f, 't', t, 'u', u)
  redis.call('PEXPIRE', key, math.max(1, u + window - now))
end
return {}
`;

const REFUND = `
local f = tonumber(redis.call('HGET', KEYS[1], 'f'))
if f and f > 0 then redis.call('HSET', KEYS[1], 'f', f - 1) end
return 0
`;

/**
 * Counts in Redis, for deployments that have it (`redisUrl`): entries expire by themselves.
 * Keys are `<prefix><kind>:<key>`; a reservation's keys must live on one node (no Redis Cluster).
 */
export class RedisThrottleStore implements ThrottleStore {
  constructor(
    private readonly redis: Redis,
    private readonly timing: ThrottleTiming,
    private readonly prefix: string,
  ) {}

  async reserve(keys: ThrottleKey[], now: number): Promise<ThrottleRefusal[]> {
    const { window, backoffBase, backoffMax } = this.timing;
    const answer = (await this.redis.eval(
      RESERVE,
      keys.length,
      ...keys.map((key) => this.redisKey(key)),
      now,
      window,
      backoffBase,
      backoffMax,
      ...keys.flatMap((key) => [key.freeAttempts, key.fixedWindow ? 1 : 0]),
    )) as number[];
    const refusals: ThrottleRefusal[] = [];
    for (let i = 0; i < answer.length; i += 2) refusals.push({ kind: keys[answer[i]! - 1]!.kind, wait: answer[i + 1]! });
    return refusals;
  }

  async reset(key: ThrottleKey): Promise<void> {
    await this.redis.del(this.redisKey(key));
  }

  async refund(key: ThrottleKey): Promise<void> {
    await this.redis.eval(REFUND, 1, this.redisKey(key));
  }

  /** Nothing to do: Redis expires entries itself. */
  async prune(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private redisKey({ kind, key }: ThrottleKey): string {
    return `${this.prefix}${kind}:${key}`;
  }
}
