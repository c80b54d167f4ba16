import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adoptionBench } from '../../bench/adoption.js';

describe('bench section adoption, smoke run', { timeout: 300_000 }, () => {
  it('measures what graphql-sso adds to a subgraph app: bytes, packages, import time', async () => {
    const section = await adoptionBench({ smoke: true });
    assert.deepEqual(
      section.ratios.map((r) => [r.name, r.target]),
      [
        ['install size added', '<= 15 MB'],
        ['packages added', '<= 40'],
        ['import time added', '<= 300 ms'],
      ],
    );
    for (const ratio of section.ratios) assert.ok(Number.isFinite(ratio.value) && ratio.value > 0, `${ratio.name}: ${ratio.value}`);
    const own = section.measurements.find((m) => m.name.startsWith('graphql-sso itself'))!;
    assert.ok(own.value > 0.1 && own.value < 15, `graphql-sso's own folder: ${own.value} MB`);
  });
});
