import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { DEFAULT_SETTINGS, operationLimitsRule, type OperationLimits } from '../../../src/index.js';

const schema = buildSchema(`
  type Query { version: String, node: Node, nodes: [Node!]! }
  type Mutation { ping: Boolean }
  type Node { id: ID!, name: String, child: Node, ofType: Node }
`);

const DEFAULTS: OperationLimits = DEFAULT_SETTINGS.limits;

/** The messages of the rule alone, for `query` under `limits` (the defaults for the rest). */
function refusals(query: string, limits: Partial<OperationLimits> = {}): string[] {
  return validate(schema, parse(query), [operationLimitsRule({ ...DEFAULTS, ...limits })]).map((error) => error.message);
}

/** Nested `child` fields: `{ node { child { ... { name } } } }` is `levels` deep. */
const nested = (levels: number) => `{ node { ${'child { '.repeat(levels - 2)}name ${'} '.repeat(levels - 2)}} }`;

describe('operationLimitsRule: depth', () => {
  it('counts fields from the root to the deepest leaf, and names the setting', () => {
    assert.deepEqual(refusals('{ version }', { maxDepth: 1 }), []);
    assert.deepEqual(refusals(nested(3), { maxDepth: 3 }), []);
    assert.deepEqual(refusals(nested(3), { maxDepth: 2 }), ['Query depth 3 exceeds the limit of 2 (setting limits.maxDepth).']);
    assert.deepEqual(refusals(nested(15)), []);
    assert.deepEqual(refusals(nested(16)), ['Query depth 16 exceeds the limit of 15 (setting limits.maxDepth).']);
  });

  it('follows named and inline fragments, and mutations too', () => {
    const query = `
      query { node { ...Deep } }
      fragment Deep on Node { child { ... on Node { child { name } } } }`;
    assert.deepEqual(refusals(query, { maxDepth: 4 }), []);
    assert.deepEqual(refusals(query, { maxDepth: 3 }), ['Query depth 4 exceeds the limit of 3 (setting limits.maxDepth).']);
    assert.deepEqual(refusals('mutation { ping }', { maxDepth: 1 }), []);
  });

  it('survives fragment cycles and unknown fragments, which graphql-js refuses itself', () => {
    const cycle = `
      { node { ...A } }
      fragment A on Node { child { ...B } }
      fragment B on Node { child { ...A } }`;
    const messages = validate(schema, parse(cycle), [...specifiedRules, operationLimitsRule(DEFAULTS)]).map((e) => e.message);
    assert.ok(
      messages.some((m) => m.startsWith('Cannot spread fragment "A" within itself')),
      messages.join('\n'),
    );
    assert.deepEqual(refusals(cycle, { maxDepth: 2 }), ['Query depth 3 exceeds the limit of 2 (setting limits.maxDepth).']);
    assert.deepEqual(refusals('{ node { ...Missing } }', { maxDepth: 1 }), []);
  });

  it('lets the standard introspection query pass: ofType adds no depth inside introspection', () => {
    assert.deepEqual(
      refusals(
        getIntrospectionQuery({
          descriptions: true,
          specifiedByUrl: true,
          directiveIsRepeatable: true,
          schemaDescription: true,
          inputValueDeprecation: true,
        }),
        { maxDepth: 6 },
      ),
      [],
    );
    assert.deepEqual(refusals(getIntrospectionQuery(), { maxDepth: 5 }), [
      'Query depth 6 exceeds the limit of 5 (setting limits.maxDepth).',
    ]);
    assert.deepEqual(refusals(`{ __type(name: "Node") { ${'ofType { '.repeat(40)}name ${'} '.repeat(40)}} }`, { maxDepth: 2 }), []);
  });

  it('counts the rest of introspection, whose types nest without end, and ofType outside it', () => {
    const introspection = `{ __schema { types { ${'fields { type { '.repeat(4)}name ${'} } '.repeat(4)}} } }`;
    assert.deepEqual(refusals(introspection, { maxDepth: 10 }), ['Query depth 11 exceeds the limit of 10 (setting limits.maxDepth).']);
    assert.deepEqual(refusals('{ node { ofType { ofType { name } } } }', { maxDepth: 3 }), [
      'Query depth 4 exceeds the limit of 3 (setting limits.maxDepth).',
    ]);
  });
});

describe('operationLimitsRule: aliases and root fields', () => {
  it('counts aliases as executed: a fragment spread twice counts twice', () => {
    const query = `
      { a: node { ...Names } b: node { child { ...Names } } }
      fragment Names on Node { first: name second: name }`;
    assert.deepEqual(refusals(query, { maxAliases: 6 }), []);
    assert.deepEqual(refusals(query, { maxAliases: 5 }), ['6 aliases exceed the limit of 5 (setting limits.maxAliases).']);
    const many = `{ ${Array.from({ length: 31 }, (_, i) => `n${i}: node { id }`).join(' ')} }`;
    assert.match(refusals(many, { maxRootFields: 100 }).join(), /^31 aliases exceed the limit of 30 \(setting limits\.maxAliases\)\.$/);
  });

  it('measures each fragment once, so fragments that double at every level are counted, not expanded', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === 0 ? 'fragment F0 on Node { x: name y: name }' : `fragment F${i} on Node { child { ...F${i - 1} } ofType { ...F${i - 1} } }`,
    );
    const query = `{ node { ...F${levels - 1} } }\n${fragments.join('\n')}`;
    assert.deepEqual(refusals(query, { maxDepth: 100 }), [`${2 ** levels} aliases exceed the limit of 30 (setting limits.maxAliases).`]);
  });

  it('counts distinct response names at the root, through fragments', () => {
    assert.deepEqual(refusals('{ version version node { id } }', { maxRootFields: 2 }), []);
    assert.deepEqual(refusals('{ a: version b: version c: version }', { maxRootFields: 2 }), [
      '3 root fields exceed the limit of 2 (setting limits.maxRootFields).',
    ]);
    const spread = '{ ...Root ...Root ... on Query { nodes { id } } }\nfragment Root on Query { version node { id } }';
    assert.deepEqual(refusals(spread, { maxRootFields: 3 }), []);
    assert.deepEqual(refusals(spread, { maxRootFields: 2 }), ['3 root fields exceed the limit of 2 (setting limits.maxRootFields).']);
  });

  it('judges each operation of a document on its own, and reports every limit exceeded', () => {
    const document = parse('query Wide { a: version b: version c: version } query Narrow { version }');
    const errors = validate(schema, document, [operationLimitsRule({ ...DEFAULTS, maxRootFields: 2 })]);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.nodes?.[0], document.definitions[0]);
    assert.deepEqual(refusals('{ a: node { b: child { name } } }', { maxDepth: 2, maxAliases: 1, maxRootFields: 1 }), [
      'Query depth 3 exceeds the limit of 2 (setting limits.maxDepth).',
      '2 aliases exceed the limit of 1 (setting limits.maxAliases).',
    ]);
  });
});
