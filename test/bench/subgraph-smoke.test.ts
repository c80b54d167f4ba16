import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkServers, EXPECTED_BODY } from '../../bench/lib/subgraph-check.js';
import { ask, createBenchKeys, spawnServers, type BenchKeys, type RunningServer } from '../../bench/lib/subgraph-fleet.js';
import { SCOPE } from '../../bench/lib/subgraph-schema.js';
import { SERVER_KINDS } from '../../bench/lib/subgraph-servers.js';
import type { BenchSection } from '../../bench/lib/types.js';
import { subgraphBench } from '../../bench/subgraph.js';

function assertWellFormed(section: BenchSection) {
  assert.ok(section.title.length > 0);
  for (const m of section.measurements) {
    assert.ok(m.name.length > 0 && m.unit.length > 0, JSON.stringify(m));
    assert.ok(Number.isFinite(m.value) && m.value > 0, `${m.name}: ${m.value}`);
  }
  for (const r of section.ratios) {
    assert.ok(r.name.length > 0, JSON.stringify(r));
    assert.ok(Number.isFinite(r.value) && r.value > 0, `${r.name}: ${r.value}`);
    assert.equal(typeof r.met, 'boolean');
  }
}

describe('subgraph bench servers', () => {
  let keys: BenchKeys;
  const servers: RunningServer[] = [];
  before(async () => {
    keys = await createBenchKeys();
    servers.push(...(await spawnServers(SERVER_KINDS, keys.keys)));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    keys.cleanup();
  });

  it('all answer the bench query identically, and those with auth refuse what they must', async () => {
    const tokens = [0, 1, 2].map(() => keys.mint({ account: '1', scopes: [SCOPE] }));
    const bodies = await checkServers(servers, tokens, keys);
    assert.deepEqual([...bodies.keys()], [...SERVER_KINDS]);
    for (const [kind, body] of bodies) assert.equal(body.trimEnd(), EXPECTED_BODY, kind);
    assert.deepEqual(JSON.parse(EXPECTED_BODY), { data: { account: { name: 'Alice & Co', balance: 1200 } } });
  });

  it('the check catches a server that does not enforce auth', async () => {
    const off = servers.find((server) => server.kind === 'off')!;
    const token = keys.mint({ account: '1', scopes: [SCOPE] });
    assert.equal((await ask(off.url, keys.mint({ account: '2', scopes: [] }))).body.trimEnd(), EXPECTED_BODY);
    await assert.rejects(checkServers([{ ...off, kind: 'sso' }], [token], keys), /sso did not refuse a request with no token/);
  });
});

describe('subgraph bench, smoke run', () => {
  it('loads every server after checking their answers, and reports every ratio', async () => {
    // subgraphBench throws when a server answers anything but the expected body, before or under load.
    const section = await subgraphBench({ smoke: true });
    assertWellFormed(section);
    assert.deepEqual(
      section.ratios.map((r) => r.target),
      ['>= 0.85', '>= 3', '>= 1.0', '>= 0.85', '>= 3', '>= 1.0'],
    );
    // Against a baseline that authenticates, the note tells how far auth off itself gets on this machine.
    for (const ratio of section.ratios.filter((r) => !r.name.includes('auth off'))) {
      assert.match(ratio.note ?? '', /ceiling on this machine \(auth off \/ (handrolled|yoga), same rounds\): \d+\.\d\d/, ratio.name);
    }
    for (const pool of ['distinct', 'hot']) {
      for (const label of ['(A)', '(A′)', '(B)', '(C)', '(D)']) {
        for (const unit of ['req/s', 'ms']) {
          assert.ok(
            section.measurements.some((m) => m.name.startsWith(label) && m.name.includes(`${pool} tokens`) && m.unit === unit),
            `${label} ${pool} ${unit}`,
          );
        }
      }
    }
    assert.match(section.notes!.join('\n'), /2 cores: one for the server under load, one for autocannon/);
  });
});
