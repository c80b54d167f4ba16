/**
 * The layers of src/, lowest first. A module may import its own layer and those below it, never
 * one above (type-only imports included). `npm run lint` (and CI) runs this, and then
 * .dependency-cruiser-runtime.cjs on the compiled code: no import cycles, and a light main entry.
 *
 *   errors.ts   the error hierarchy
 *   lib/        what several layers share (optional packages, hook running, @link reading, ...)
 *   jwt/        tokens and keys: no GraphQL, no settings of the whole app, no ORM
 *   config/     settings, their defaults, validation and loading
 *   observability/  logger, metrics
 *   auth/       the request context, the authChecker, the directives, the GraphQL error boundary
 *   db/         the database: MikroORM, the embedded PGlite
 *   identity/   the identity service's entities, services and resolvers
 *   server/     HTTP: the identity service, REST views, limits, the gateway helpers
 *   cli/        the command line
 *   *.ts        entry points and the lists they export (index.ts, identity.ts, gateway.ts, ...)
 */
const LAYERS = ['errors', 'lib', 'jwt', 'config', 'observability', 'auth', 'db', 'identity', 'server', 'cli'];
const pathOf = (layer) => (layer === 'errors' ? '^src/errors\\.ts$' : `^src/${layer}/`);

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer}`,
  comment: `${layer} may not import a layer above it (${LAYERS.slice(index + 1).join(', ')}) nor an entry point`,
  severity: 'error',
  from: { path: pathOf(layer) },
  to: { path: [...LAYERS.slice(index + 1).map(pathOf), '^src/[^/]+\\.ts$'], pathNot: index === 0 ? [] : ['^src/errors\\.ts$'] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'tokens-without-graphql',
      comment: 'token and key code never imports GraphQL or the ORM',
      severity: 'error',
      from: { path: '^src/jwt/' },
      to: { path: 'node_modules/(graphql|@mikro-orm|type-graphql|@apollo)/' },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser to parse with; swc reads the sources,
    // type-only imports included.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
  },
};
