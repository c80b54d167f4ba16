import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { KeyStore, resolveSettings } from '../../src/index.js';
import { runCli } from '../support/cli.js';

const STAMP = new Date().toISOString().slice(0, 10).replace(/-/g, '');

/** `Key file:` and `Key id (kid):` of a rotate run. */
function printed(stdout: string): { file: string; kid: string } {
  const file = /^Key file: (.+)$/m.exec(stdout)?.[1];
  const kid = /^Key id \(kid\): (.+)$/m.exec(stdout)?.[1];
  assert.ok(file && kid, stdout);
  return { file, kid };
}

describe('graphql-sso keys rotate', () => {
  let work: string;
  let keyDir: string;
  let first: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sso-rotate-'));
    keyDir = join(work, 'keys');
    const run = await runCli(['keys', 'generate', '--issuer', 'myapp', '--dir', keyDir]);
    assert.equal(run.code, 0, run.stderr);
    first = basename(run.stdout.trim());
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('rewrites a JSON config: the new key first in privateKeys and publicKeys, the old one kept, the rest untouched', async () => {
    const config = join(work, 'sso.json');
    const original = {
      identity: 'myapp',
      keyStoreRoot: keyDir,
      privateKeys: { myapp: [first] },
      sessionExpiration: 3600,
      publicKeys: { partner: first, myapp: [first] },
      authorizationExpiration: 120,
    };
    writeFileSync(config, JSON.stringify(original, null, 2));
    const run = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    const { file, kid } = printed(run.stdout);
    assert.equal(basename(file), `${kid}.pem`);
    assert.equal(file, join(keyDir, `${kid}.pem`), 'written into keyStoreRoot');
    assert.match(kid, new RegExp(`^myapp-${STAMP}(-\\d+)?$`));
    assert.notEqual(`${kid}.pem`, first);

    const text = readFileSync(config, 'utf8');
    const expected = {
      ...original,
      privateKeys: { myapp: [`${kid}.pem`, first] },
      publicKeys: { partner: first, myapp: [`${kid}.pem`, first] },
    };
    assert.equal(text, `${JSON.stringify(expected, null, 2)}\n`, 'same key order, 2-space indent');
    assert.deepEqual(Object.keys(JSON.parse(text)), Object.keys(original));
    assert.deepEqual(
      readdirSync(work).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );

    // What serve would load: the new key signs, both verify.
    const keys = KeyStore.load(resolveSettings(JSON.parse(text)));
    assert.equal(keys.getSigningKey('myapp').kid, kid);
    assert.equal(keys.getVerificationKey('myapp', first.slice(0, -4)).kid, first.slice(0, -4));
  });

  it('turns a single key file into a list [new, old], and leaves publicKeys alone when it does not list the issuer', async () => {
    const config = join(work, 'single.json');
    writeFileSync(config, JSON.stringify({ identity: 'myapp', keyStoreRoot: keyDir, privateKeys: { myapp: first } }));
    const run = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    const { kid } = printed(run.stdout);
    assert.match(run.stdout, /^Updated .*single\.json:$/m);
    assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')), {
      identity: 'myapp',
      keyStoreRoot: keyDir,
      privateKeys: { myapp: [`${kid}.pem`, first] },
    });
  });

  it('takes SSO_CONFIG, and --dir inside keyStoreRoot gives a relative entry', async () => {
    const config = join(work, 'env.json');
    writeFileSync(config, JSON.stringify({ identity: 'myapp', keyStoreRoot: keyDir, privateKeys: { myapp: [first] } }));
    const run = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--dir', join(keyDir, 'next')], { env: { SSO_CONFIG: config } });
    assert.equal(run.code, 0, run.stderr);
    const { file, kid } = printed(run.stdout);
    assert.equal(file, join(keyDir, `${kid}.pem`));
    assert.match(kid, /^next\/myapp-/);
    assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')).privateKeys, { myapp: [`${kid}.pem`, first] });
  });

  it('prints the change for a JS config and leaves the file as it was', async () => {
    const config = join(work, 'sso.config.mjs');
    const source = `export default {\n  identity: 'myapp',\n  keyStoreRoot: ${JSON.stringify(keyDir)},\n  privateKeys: { myapp: ${JSON.stringify(first)} },\n  publicKeys: { myapp: [${JSON.stringify(first)}] },\n};\n`;
    writeFileSync(config, source);
    const run = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    const { file, kid } = printed(run.stdout);
    assert.ok(existsSync(file));
    assert.equal(readFileSync(config, 'utf8'), source, 'a JS config is never rewritten');
    assert.match(run.stdout, /sso\.config\.mjs is not rewritten \(only \.json configs are\); make this change in it:/);
    assert.ok(run.stdout.includes(`  privateKeys.myapp: ["${kid}.pem", "${first}"]\n`), run.stdout);
    assert.ok(run.stdout.includes(`  publicKeys.myapp: ["${kid}.pem", "${first}"]\n`), run.stdout);
  });

  it('for a TypeScript config Node cannot load, needs --dir and says where the new key goes', async () => {
    const config = join(work, 'sso.config.ts');
    const source = `import { defineConfig } from 'graphql-sso';\nexport default defineConfig({ identity: 'myapp', privateKeys: { myapp: ['${first}'] } });\n`;
    writeFileSync(config, source);
    const loadable = Number(process.versions.node.split('.')[0]) >= 23;
    const noDir = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--config', config]);
    assert.equal(noDir.code, 1);
    assert.match(
      noDir.stderr,
      loadable ? /sets no keyStoreRoot: pass --dir/ : /cannot read keyStoreRoot from .*sso\.config\.ts .*pass --dir/,
    );
    if (loadable) return;
    const run = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--config', config, '--dir', keyDir]);
    assert.equal(run.code, 0, run.stderr);
    const { kid } = printed(run.stdout);
    assert.ok(run.stdout.includes(`  privateKeys.myapp: put "${kid}.pem" first, before the current keys`), run.stdout);
    assert.equal(readFileSync(config, 'utf8'), source);
  });

  it('refuses bad input with a message and exit code 1, writing nothing', async () => {
    const config = join(work, 'errors.json');
    const content = JSON.stringify({ identity: 'myapp', keyStoreRoot: keyDir, privateKeys: { myapp: [first] } });
    writeFileSync(config, content);
    const noRoot = join(work, 'no-root.json');
    writeFileSync(noRoot, JSON.stringify({ identity: 'myapp', privateKeys: { myapp: [join(keyDir, first)] } }));
    const broken = join(work, 'broken.json');
    writeFileSync(broken, JSON.stringify({ identity: 'myapp', keyStoreRoot: keyDir, privateKeys: { myapp: ['gone.pem'] } }));
    const keysBefore = readdirSync(keyDir).sort();

    const cases: [string[], RegExp][] = [
      [['--issuer', '../evil', '--config', config], /Issuer name may hold only letters, digits/],
      [['--issuer', 'myapp'], /no config to update: pass --config FILE or set SSO_CONFIG/],
      [['--issuer', 'myapp', '--config', join(work, 'missing.json')], /config file not found: .*missing\.json/],
      [['--issuer', 'myapp', '--config', noRoot], /no-root\.json sets no keyStoreRoot: pass --dir DIR/],
      [['--issuer', 'other', '--config', config], /has no key for issuer "other" and its identity is "myapp" \(issuers with keys: myapp\)/],
      [['--issuer', 'myapp', '--config', config, '--dir', join(work, 'elsewhere')], /--dir .*elsewhere is outside keyStoreRoot/],
      [['--issuer', 'myapp', '--config', broken], /Invalid setting "privateKeys\.myapp": key file .*gone\.pem: file not found/],
      [
        ['--issuer', 'myapp', '--config', config, '--algorithm', 'ES256'],
        /Invalid setting "encodeAlgorithm": RS256 cannot be used with the ec key/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['keys', 'rotate', ...args]);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
    const missingIssuer = await runCli(['keys', 'rotate', '--config', config]);
    assert.equal(missingIssuer.code, 1);
    assert.match(missingIssuer.stderr, /required option '--issuer <name>' not specified/);

    assert.equal(readFileSync(config, 'utf8'), content);
    assert.deepEqual(readdirSync(keyDir).sort(), keysBefore, 'a refused rotation leaves no key file behind');
    assert.ok(!existsSync(join(work, 'elsewhere')));
  });

  it('with --dir and no keyStoreRoot lists the absolute path; the kid is the file name', async () => {
    mkdirSync(join(work, 'abs'));
    const config = join(work, 'abs', 'sso.json');
    writeFileSync(config, JSON.stringify({ identity: 'myapp', privateKeys: { myapp: [join(keyDir, first)] } }));
    const run = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--config', config, '--dir', join(work, 'abs')]);
    assert.equal(run.code, 0, run.stderr);
    const { file, kid } = printed(run.stdout);
    assert.equal(basename(file), `${kid}.pem`);
    assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')).privateKeys, { myapp: [file, join(keyDir, first)] });
  });
});
