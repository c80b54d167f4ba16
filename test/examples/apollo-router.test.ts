import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { hiveGatewayDir, installHiveGateway } from '../../examples/hive-gateway/install.js';

const DIR = resolve(import.meta.dirname, '../../../examples/apollo-router');

/**
 * What the Router's license enforcement restricts without a GraphOS plan (its configuration
 * paths, as the Router's source lists them): none may appear in router.yaml.
 */
const LICENSED = [
  'apq.router.cache.redis',
  'authentication.router',
  'authorization.directives',
  'batching',
  'coprocessor',
  'demand_control',
  'persisted_queries',
  'preview_entity_cache',
  'response_cache',
  'subscription',
  'supergraph.query_planning.cache.redis',
  'limits.max_depth',
  'limits.max_height',
  'limits.max_root_fields',
  'limits.max_aliases',
];

type Yaml = Record<string, any>;
let parseYaml: (text: string) => Yaml;

function at(document: Yaml, path: string): unknown {
  return path.split('.').reduce<any>((node, key) => (node == null ? undefined : node[key]), document);
}

function propagated(document: Yaml): string[] {
  return (at(document, 'headers.all.request') as { propagate?: { named?: string } }[]).flatMap((rule) =>
    rule.propagate?.named ? [rule.propagate.named.toLowerCase()] : [],
  );
}

/**
 * The Apollo Router files cannot be run here (the Router is a binary from GitHub, not an npm
 * package); these checks hold them to what the Router's documentation says they need.
 */
describe('examples/apollo-router', () => {
  before(async () => {
    // A YAML parser the repository does not otherwise need: the Hive Gateway installation has one.
    const require = createRequire(join(await installHiveGateway().then(() => hiveGatewayDir()), 'package.json'));
    parseYaml = (require('yaml') as { parse(text: string): Yaml }).parse;
  });

  const load = (file: string) => parseYaml(readFileSync(join(DIR, file), 'utf8'));

  it('router.yaml: no GraphOS feature, the token and the client forwarded, subgraph errors kept', () => {
    const router = load('router.yaml');
    for (const path of LICENSED) assert.equal(at(router, path), undefined, `${path} needs a GraphOS plan`);
    assert.deepEqual(propagated(router), ['authorization', 'x-forwarded-for', 'user-agent']);
    assert.equal(at(router, 'include_subgraph_errors.all'), true);
    assert.equal(at(router, 'supergraph.path'), '/graphql');
  });

  it('router.graphos.yaml: JWT as graphql-sso issues it, directives on, policies left to the subgraphs', () => {
    const router = load('router.graphos.yaml');
    const jwt = at(router, 'authentication.router.jwt') as Yaml;
    assert.equal(jwt.header_name, 'Authorization');
    assert.equal(jwt.header_value_prefix, 'JWT');
    assert.equal(jwt.on_error, 'Continue');
    const [jwks] = jwt.jwks as Yaml[];
    assert.match(jwks!.url, /\/\.well-known\/jwks\.json$/);
    assert.ok(jwks!.issuers.length > 0 && jwks!.audiences.length >= 2, 'issuers, and the audiences of both token kinds');
    assert.equal(jwks!.allow_missing_exp, true, 'session tokens have no exp');
    assert.equal(at(router, 'authorization.directives.enabled'), true);
    assert.equal(at(router, 'authorization.directives.reject_unauthorized'), false);
    assert.ok(existsSync(join(DIR, at(router, 'rhai.main') as string)));
    assert.deepEqual(propagated(router), ['authorization', 'x-forwarded-for', 'user-agent']);
    assert.equal(at(router, 'include_subgraph_errors.all'), true);
  });
});
