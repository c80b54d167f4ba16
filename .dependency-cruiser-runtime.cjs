/**
 * What `import('graphql-sso')` loads at run time reaches none of the identity's, the gateway's or
 * telemetry packages: a subgraph installs and loads only what verifying tokens needs. Run on the
 * compiled dist/src, where the compiler has erased type-only imports (swc reads them as imports).
 * test/package/consumer.test.ts checks the same on the installed package.
 */
const base = require('./.dependency-cruiser.cjs');

const HEAVY_PACKAGES =
  'node_modules/(@mikro-orm|@electric-sql|bcrypt|ioredis|knex|pg|prom-client|@opentelemetry|@apollo/gateway|@apollo/composition|@apollo/subgraph|@apollo/server|type-graphql|express|@as-integrations)/';

module.exports = {
  forbidden: [
    {
      name: 'main-entry-stays-light',
      severity: 'error',
      from: { path: '^dist/src/index\\.js$' },
      to: { path: HEAVY_PACKAGES, reachable: true },
    },
  ],
  options: { ...base.options, parser: 'acorn', exclude: {} },
};
