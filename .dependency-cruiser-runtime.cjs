/**
 * The compiled code (dist/src), where the compiler has erased type-only imports (swc, which reads
 * the sources, cannot tell them apart): no module imports itself through others at run time, and
 * what `import('graphql-sso')` loads reaches none of the identity's, the gateway's or telemetry
 * packages, so a subgraph loads only what verifying tokens needs (test/package/consumer.test.ts
 * checks the same on the installed package). Type-level cycles are allowed: settings hold hooks
 * whose arguments hold settings.
 */
const base = require('./.dependency-cruiser.cjs');

const HEAVY_PACKAGES =
  'node_modules/(@mikro-orm|@electric-sql|bcrypt|ioredis|knex|pg|prom-client|@opentelemetry|@apollo/gateway|@apollo/composition|@apollo/subgraph|@apollo/server|type-graphql|express|@as-integrations)/';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'main-entry-stays-light',
      severity: 'error',
      from: { path: '^dist/src/index\\.js$' },
      to: { path: HEAVY_PACKAGES, reachable: true },
    },
  ],
  options: { ...base.options, parser: 'acorn', exclude: {} },
};
