import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingPackageError } from '../../src/errors.js';
import { FEATURE_PACKAGES, PEER_INSTALL_SPECS, importFeature, installCommand, requireFeature } from '../../src/lib/optional-packages.js';
import { ROOT } from '../support/cli.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  dependencies: Record<string, string>;
};

describe('optional packages', () => {
  it('names exactly the peer dependencies of package.json, all optional but graphql', () => {
    assert.deepEqual(Object.keys(PEER_INSTALL_SPECS).sort(), Object.keys(manifest.peerDependencies).sort());
    const required = Object.keys(manifest.peerDependencies).filter((name) => !manifest.peerDependenciesMeta[name]?.optional);
    assert.deepEqual(required, ['graphql']);
    for (const name of Object.keys(manifest.peerDependencies))
      assert.equal(manifest.dependencies[name], undefined, `${name} is a peer, not a dependency`);
  });

  it('every feature names peers only', () => {
    for (const packages of Object.values(FEATURE_PACKAGES)) for (const name of packages) assert.ok(name in PEER_INSTALL_SPECS, name);
  });

  it('a missing package of a feature is a MissingPackageError naming the install command', async () => {
    const missing = Object.assign(new Error("Cannot find package 'ioredis' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await assert.rejects(
      importFeature('the redisUrl setting', () => Promise.reject(missing)),
      (error: unknown) =>
        error instanceof MissingPackageError &&
        error.package === 'ioredis' &&
        error.message.includes(installCommand('the redisUrl setting')),
    );
    assert.throws(
      () => requireFeature('the redisUrl setting', 'ioredis-not-installed-here', import.meta.url),
      (error: unknown) => error instanceof MissingPackageError && error.package === 'ioredis-not-installed-here',
    );
  });

  it('other failures pass through unchanged', async () => {
    const broken = new TypeError('boom');
    await assert.rejects(
      importFeature('graphql-sso/identity', () => Promise.reject(broken)),
      (error) => error === broken,
    );
  });
});
