import { SOAK_OPERATIONS, type SoakTally, type UnexpectedSample } from './soak-tally.js';

export interface MemoryTrace {
  process: 'identity' | 'subgraph';
  pid: number;
  /** VmRSS in MiB: before any load, after the warm-up, at the end, the highest seen (sampled each second). */
  startMiB: number;
  warmMiB: number;
  endMiB: number;
  peakMiB: number;
  /** `endMiB - warmMiB`: what the steady load added. */
  growthMiB: number;
}

export interface SoakReport {
  durationSec: number;
  warmupSec: number;
  connections: number;
  database: string;
  requests: number;
  operations: {
    name: string;
    requests: number;
    succeeded: number;
    refused: number;
    throttled: number;
    unexpected: number;
    latencyMs: { p50: number; p90: number; p99: number; max: number };
  }[];
  classes: { name: string; count: number; unexpected: number; operations: string[] }[];
  memory: MemoryTrace[];
  /** 5xx answers, network failures, and answers other than the one an operation expects. */
  unexpected: number;
  unexpectedSamples: UnexpectedSample[];
}

export function buildSoakReport(
  tally: SoakTally,
  run: Pick<SoakReport, 'durationSec' | 'warmupSec' | 'connections' | 'database' | 'memory'>,
): SoakReport {
  const operations = SOAK_OPERATIONS.map((name) => {
    const { requests, succeeded, refused, throttled, unexpected, latency } = tally.operations.get(name)!;
    return {
      name,
      requests,
      succeeded,
      refused,
      throttled,
      unexpected,
      latencyMs: { p50: latency.percentile(50), p90: latency.percentile(90), p99: latency.percentile(99), max: latency.max },
    };
  });
  const classes = [...tally.classes]
    .map(([name, { count, unexpected, operations: ops }]) => ({
      name,
      count,
      unexpected,
      operations: SOAK_OPERATIONS.filter((op) => ops.has(op)),
    }))
    .sort((a, b) => b.count - a.count);
  return {
    ...run,
    requests: operations.reduce((sum, op) => sum + op.requests, 0),
    operations,
    classes,
    unexpected: tally.unexpected,
    unexpectedSamples: tally.samples,
  };
}

const number = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Columns of numbers right-aligned, those of words (`left`) left-aligned. */
function table(head: string[], rows: (string | number)[][], left: number[] = [0]): string[] {
  const cells = [head, ...rows.map((row) => row.map(String))];
  const widths = head.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells.map((row) =>
    row
      .map((cell, column) => (left.includes(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The report as text tables, for a terminal or a CI log. */
export function renderSoakReport(report: SoakReport): string {
  const lines = [
    `Soak: ${report.durationSec} s (warm-up ${report.warmupSec} s), ${report.connections} virtual users, ${report.requests} requests; ${report.database}.`,
    '',
    ...table(
      ['operation', 'requests', 'ok', 'refused', 'throttled', 'unexpected', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      report.operations.map((op) => [
        op.name,
        op.requests,
        op.succeeded,
        op.refused,
        op.throttled,
        op.unexpected,
        number(op.latencyMs.p50),
        number(op.latencyMs.p90),
        number(op.latencyMs.p99),
        number(op.latencyMs.max),
      ]),
    ),
    '',
    ...table(
      ['answer', 'count', 'unexpected', 'operations'],
      report.classes.map((c) => [c.name, c.count, c.unexpected, c.operations.join(', ')]),
      [0, 3],
    ),
    '',
    ...table(
      ['memory (VmRSS MiB)', 'pid', 'start', 'after warm-up', 'end', 'peak', 'growth'],
      report.memory.map((m) => [
        m.process,
        m.pid,
        number(m.startMiB),
        number(m.warmMiB),
        number(m.endMiB),
        number(m.peakMiB),
        number(m.growthMiB),
      ]),
    ),
    '',
  ];
  if (report.unexpected === 0) {
    lines.push('Result: PASS, no unexpected answers (5xx, network failures, wrong outcomes).');
  } else {
    lines.push(`Result: FAIL, ${report.unexpected} unexpected answers. First ones:`);
    for (const sample of report.unexpectedSamples) lines.push(`  ${sample.operation}: ${sample.answer}, ${sample.detail}`);
  }
  return `${lines.join('\n')}\n`;
}
