import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseSoakArgs } from '../../bench/soak.js';
import { LatencyHistogram } from '../../bench/lib/histogram.js';
import type { SoakReport } from '../../bench/lib/soak-report.js';
import { SOAK_OPERATIONS, SoakTally } from '../../bench/lib/soak-tally.js';
import { ROOT } from '../support/cli.js';

const SOAK = join(ROOT, 'dist/bench/soak.js');

function runSoakCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOAK, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('soak (npm run soak)', () => {
  // It runs `graphql-sso serve` on the local PostgreSQL server (TEST_DATABASE_URL's, or 127.0.0.1:5432), else on PGlite.
  it('--smoke --json: every operation answered as expected by both processes, memory traced, exit code 0', async () => {
    const { code, stdout, stderr } = await runSoakCli(['--smoke', '--json']);
    assert.equal(code, 0, `${stderr}\n${stdout}`);
    const report = JSON.parse(stdout) as SoakReport;
    assert.equal(report.durationSec, 3);
    assert.equal(report.unexpected, 0, JSON.stringify(report.unexpectedSamples));
    assert.deepEqual(
      report.operations.map((op) => op.name),
      [...SOAK_OPERATIONS],
    );
    for (const op of report.operations) {
      assert.ok(op.requests > 0, `${op.name} ran`);
      assert.equal(op.succeeded + op.refused + op.throttled + op.unexpected, op.requests, op.name);
      for (const value of Object.values(op.latencyMs)) assert.ok(Number.isFinite(value) && value >= 0, `${op.name} latency ${value}`);
      assert.ok(op.latencyMs.p50 <= op.latencyMs.p99 && op.latencyMs.p99 <= op.latencyMs.max, op.name);
    }
    const byName = Object.fromEntries(report.operations.map((op) => [op.name, op]));
    assert.equal(byName['login (wrong password)']!.succeeded, 0, 'no wrong password logs in');
    assert.equal(byName['me (revoked session)']!.succeeded, 0, 'no revoked session is accepted');
    assert.ok(byName.subgraph!.succeeded > 0 && byName.me!.succeeded > 0 && byName.mint!.succeeded > 0);
    assert.equal(
      report.classes.reduce((sum, c) => sum + c.count, 0),
      report.requests,
    );
    assert.ok(
      report.classes.some((c) => c.name === 'HTTP 200 OK'),
      report.classes.map((c) => c.name).join(', '),
    );
    assert.ok(
      report.classes.every((c) => /^(HTTP \d{3} [A-Z_]+|network \S+)$/.test(c.name)),
      report.classes.map((c) => c.name).join(', '),
    );
    assert.deepEqual(
      report.memory.map((m) => m.process),
      ['identity', 'subgraph'],
    );
    for (const m of report.memory) {
      for (const value of [m.startMiB, m.warmMiB, m.endMiB, m.peakMiB]) assert.ok(value > 0, `${m.process} RSS ${value}`);
      assert.ok(m.peakMiB >= m.endMiB && m.peakMiB >= m.startMiB, m.process);
      assert.equal(m.growthMiB, m.endMiB - m.warmMiB);
    }
  });

  it('refuses bad arguments, naming the option; the command exits with 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--duration', '0'], /--duration must be a number of seconds greater than 0 \(got "0"\)/],
      [['--duration', 'abc'], /--duration must be/],
      [['--duration', '-5'], /--duration/],
      [['--duration', '1e3'], /--duration must be/],
      [['--connections', '0'], /--connections must be a whole number from 1 to 1000 \(got "0"\)/],
      [['--connections', '2.5'], /--connections must be/],
      [['--connections', '100000'], /--connections must be/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['60'], /Unexpected argument '60'/],
    ];
    for (const [args, message] of cases) {
      const parsed = parseSoakArgs(args);
      assert.ok('error' in parsed, `${args.join(' ')} was accepted`);
      assert.match(parsed.error, message, args.join(' '));
    }
    assert.deepEqual(parseSoakArgs([]), { options: { durationSec: 60, connections: 8 }, json: false });
    assert.deepEqual(parseSoakArgs(['--smoke', '--duration', '5', '--json']), { options: { durationSec: 5, connections: 4 }, json: true });
    const { code, stderr } = await runSoakCli(['--duration', 'abc']);
    assert.equal(code, 2);
    assert.match(stderr, /--duration must be[\s\S]*usage: soak/);
  });

  it('judges answers: 5xx, network failures, wrong outcomes and throttled successes are unexpected; throttled wrong passwords and intended refusals are not', () => {
    const tally = new SoakTally();
    const http = (status: number, code: string | null, ok = code === null) => ({ kind: 'http' as const, status, code, ok, detail: '' });
    tally.record('me', 'success', http(200, null), 1);
    tally.record('me', 'success', http(401, 'UNAUTHENTICATED'), 1);
    tally.record('me', 'success', http(500, 'INTERNAL_SERVER_ERROR'), 1);
    tally.record('me', 'success', http(503, 'SERVICE_UNAVAILABLE'), 1);
    tally.record('me', 'success', { kind: 'network', code: 'ECONNRESET', detail: 'socket hang up' }, 1);
    tally.record('login', 'success', http(429, 'TOO_MANY_REQUESTS'), 1);
    tally.record('login (wrong password)', 'refusal', http(200, 'UNAUTHENTICATED'), 1);
    tally.record('login (wrong password)', 'refusal', http(200, 'TOO_MANY_REQUESTS'), 1);
    tally.record('login (wrong password)', 'refusal', http(200, null), 1);
    tally.record('me (revoked session)', 'refusal', http(200, 'FORBIDDEN'), 1);
    const me = tally.operations.get('me')!;
    assert.deepEqual([me.requests, me.succeeded, me.unexpected], [5, 1, 4]);
    assert.deepEqual(
      [tally.operations.get('login')!.throttled, tally.operations.get('login')!.unexpected],
      [1, 1],
      'a right password throttled is unexpected',
    );
    const wrong = tally.operations.get('login (wrong password)')!;
    assert.deepEqual([wrong.refused, wrong.throttled, wrong.unexpected], [1, 1, 1], 'a wrong password that logs in is unexpected');
    assert.equal(tally.operations.get('me (revoked session)')!.unexpected, 1);
    assert.equal(tally.unexpected, 7);
    assert.deepEqual(tally.classes.get('HTTP 200 OK'), { count: 2, unexpected: 1, operations: new Set(['me', 'login (wrong password)']) });
    assert.equal(tally.classes.get('network ECONNRESET')!.unexpected, 1);
    assert.equal(tally.samples.length, 5, 'the first five are kept');
  });

  it('latency percentiles are within 2% of the exact ones, in constant memory', () => {
    const histogram = new LatencyHistogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 0.05 + i * 0.37);
    for (const value of values) histogram.record(value);
    for (const p of [50, 90, 99]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1]!;
      const estimate = histogram.percentile(p);
      assert.ok(Math.abs(estimate - exact) / exact <= 0.02, `p${p}: ${estimate} vs ${exact}`);
    }
    assert.equal(histogram.max, values.at(-1));
    assert.ok(Number.isNaN(new LatencyHistogram().percentile(50)));
  });
});
