import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Bench, BenchSection } from './lib/types.js';

/** Every section: its module (next to this file once compiled) and the `Bench` it exports. */
const SECTIONS: { module: string; name: string }[] = [
  { module: './verification.js', name: 'verificationBench' },
  { module: './subgraph.js', name: 'subgraphBench' },
  { module: './gateways.js', name: 'gatewaysBench' },
  { module: './identity.js', name: 'identityBench' },
  { module: './issuance.js', name: 'issuanceBench' },
  { module: './login.js', name: 'loginBench' },
  { module: './database.js', name: 'databaseBench' },
  { module: './memory.js', name: 'memoryBench' },
  { module: './adoption.js', name: 'adoptionBench' },
];

const format = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2));

function render(sections: BenchSection[], smoke: boolean, startedAt: Date): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Benchmark results',
    '',
    `Run ${startedAt.toISOString()}${smoke ? ' (smoke run: numbers are not meaningful)' : ''} on ${cpus().length} × ${cpu}, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. Every target is a ratio against a baseline measured ` +
      'in the same run, since absolute numbers on a shared machine mean little. Regenerate with `npm run bench`.',
    '',
    '## Targets',
    '',
    '| section | ratio | value | target | met |',
    '|---|---|---|---|---|',
  ];
  for (const section of sections) {
    for (const ratio of section.ratios) {
      lines.push(
        `| ${section.title} | ${ratio.name} | ${format(ratio.value)} | ${ratio.target} | ${ratio.met ? 'yes' : `**no** — ${ratio.note ?? ''}`} |`,
      );
    }
  }
  for (const section of sections) {
    lines.push('', `## ${section.title}`, '', '| measurement | value | unit |', '|---|---|---|');
    for (const m of section.measurements) lines.push(`| ${m.name} | ${format(m.value)} | ${m.unit} |`);
    const notes = [...(section.notes ?? []), ...section.ratios.filter((r) => r.met && r.note).map((r) => `${r.name}: ${r.note}`)];
    if (notes.length > 0) lines.push('', ...notes.map((note) => `- ${note}`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * RESULTS.md with `sections` measured anew: their target rows and their `## title` part replaced
 * (or added at the end), noting that they come from a run of their own.
 */
function updateResults(previous: string, sections: BenchSection[], startedAt: Date): string {
  let text = previous;
  for (const section of sections) {
    const fresh = render([section], false, startedAt);
    const rows = fresh.split('\n').filter((line) => line.startsWith(`| ${section.title} |`));
    const lines = text.split('\n').filter((line) => !line.startsWith(`| ${section.title} |`));
    const tableEnd = lines.findIndex((line, i) => i > lines.indexOf('## Targets') + 3 && !line.startsWith('|'));
    lines.splice(tableEnd, 0, ...rows);
    text = lines.join('\n');
    const part =
      fresh.slice(fresh.indexOf(`## ${section.title}`)).trimEnd() +
      `\n- Measured in a run of this section alone, ${startedAt.toISOString()}.\n`;
    const start = text.indexOf(`\n## ${section.title}\n`);
    if (start === -1) {
      text = `${text.trimEnd()}\n\n${part}`;
    } else {
      const next = text.indexOf('\n## ', start + 1);
      text = `${text.slice(0, start + 1)}${part}${next === -1 ? '' : `\n${text.slice(next + 1)}`}`;
    }
  }
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * `npm run bench` (full; writes bench/RESULTS.md) or `--smoke` (seconds; CI); `--only name` picks
 * sections (written to RESULTS.smoke.md, or with `--update` into RESULTS.md in place of their old numbers).
 */
async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const startedAt = new Date();
  const sections: BenchSection[] = [];
  for (const { module, name } of SECTIONS) {
    if (only && !module.includes(only)) continue;
    const bench = (await import(module))[name] as Bench;
    process.stderr.write(`bench: ${name}${smoke ? ' (smoke)' : ''}...\n`);
    const section = await bench({ smoke });
    sections.push(section);
    for (const ratio of section.ratios) {
      process.stderr.write(`  ${ratio.name}: ${format(ratio.value)} (target ${ratio.target}) ${ratio.met ? 'met' : 'NOT MET'}\n`);
    }
  }
  const report = render(sections, smoke, startedAt);
  const results = join(import.meta.dirname, '../../bench/RESULTS.md');
  if (only && !smoke && process.argv.includes('--update')) {
    // One section re-measured on its own: its rows and its part of RESULTS.md are replaced.
    const updated = updateResults(await readFile(results, 'utf8'), sections, startedAt);
    await writeFile(results, updated);
    process.stdout.write(updated);
    return;
  }
  const out = smoke || only ? join(import.meta.dirname, 'RESULTS.smoke.md') : results;
  await writeFile(out, report);
  process.stdout.write(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
