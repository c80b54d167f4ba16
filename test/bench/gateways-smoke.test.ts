import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gatewaysBench } from '../../bench/gateways.js';

// Installs Hive Gateway into its cache folder first when missing (a minute, once).
describe('bench section gateways, smoke run', { timeout: 600_000 }, () => {
  it('checks every target, then loads the subgraph alone and through both gateways, and reports the ratios', async () => {
    // gatewaysBench throws when a target answers anything but the expected body, before or under load.
    const section = await gatewaysBench({ smoke: true });
    assert.equal(section.title, 'Gateways');
    assert.deepEqual(
      section.ratios.map((r) => r.name),
      ['@apollo/gateway / subgraph alone, req/s', 'Hive Gateway / subgraph alone, req/s', 'Hive Gateway / @apollo/gateway, req/s'],
    );
    for (const r of section.ratios) {
      assert.ok(Number.isFinite(r.value) && r.value > 0, `${r.name}: ${r.value}`);
      assert.equal(typeof r.met, 'boolean');
    }
    for (const label of ['(S)', '(G)', '(H)']) {
      for (const unit of ['req/s', 'ms']) {
        const m = section.measurements.find((m) => m.name.startsWith(label) && m.unit === unit);
        assert.ok(m && Number.isFinite(m.value) && m.value > 0, `${label} ${unit}`);
      }
    }
    assert.match(section.notes!.join('\n'), /2 cores/);
  });
});
