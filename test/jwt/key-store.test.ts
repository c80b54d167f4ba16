import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import {
  AuthenticationError,
  KeyError,
  KeyStore,
  RemoteKeySet,
  SettingsError,
  decodeJwtToken,
  encodeJwtToken,
  generateKeyPem,
  keyIdFromFileName,
  resolveSettings,
  writeKeyFile,
  type Algorithm,
  type SsoConfig,
  type SsoSettings,
  type TokenContext,
  type UnsignedPayload,
} from '../../src/index.js';

const NOW = 1_700_000_000;
const now = () => NOW;
const CLAIMS: UnsignedPayload = { token: 'session', sid: 'session-1', uid: 'user-1' };

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const openssl = (args: string[], input?: string) =>
  execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

/** The PEM blocks of a combined key file. */
function split(pem: string): { privatePem: string; publicPem: string } {
  const at = pem.indexOf('-----BEGIN PUBLIC KEY-----');
  assert.ok(at > 0, 'the file holds the private key first, then the public key');
  return { privatePem: pem.slice(0, at), publicPem: pem.slice(at) };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Resolved settings (identity `myapp`) and a key store loaded from them. */
function load(root: string, config: SsoConfig): { settings: SsoSettings; keys: KeyStore; now: () => number } {
  const settings = resolveSettings({ identity: 'myapp', keyStoreRoot: root, ...config });
  return { settings, keys: KeyStore.load(settings), now };
}

function decodeRejects(token: string, context: TokenContext, code: string, message?: RegExp) {
  return assert.rejects(decodeJwtToken(token, context), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError, `expected an AuthenticationError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

function loadThrows(root: string, config: SsoConfig, expected: { setting: string; file?: string; message: RegExp }) {
  assert.throws(
    () => load(root, config),
    (error: unknown) => {
      assert.ok(error instanceof SettingsError, `expected a SettingsError, got ${String(error)}`);
      assert.equal(error.code, 'INVALID_SETTINGS');
      assert.equal(error.setting, expected.setting);
      assert.match(error.message, expected.message);
      if (expected.file) {
        assert.equal(error.file, expected.file);
        assert.ok(error.message.includes(expected.file), `the message names the file: ${error.message}`);
      }
      return true;
    },
  );
}

describe('KeyStore: PEM files', () => {
  let root: string;
  const pems: Record<string, string> = {};
  const add = async (name: string, algorithm: Algorithm = 'RS256') => {
    pems[name] ??= await generateKeyPem(algorithm);
    writeFileSync(join(root, `${name}.pem`), pems[name]!, { mode: 0o600 });
    return `${name}.pem`;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sso-key-store-'));
    await add('myapp-20200410');
    await add('myapp-20180101');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it(
    'loads one file holding both keys (openssl genrsa + rsa -pubout, appended) as signing and verification key',
    { skip: !hasOpenssl && 'openssl not installed' },
    async () => {
      const privatePem = openssl(['genrsa', '2048']);
      const publicPem = openssl(['rsa', '-pubout'], privatePem);
      assert.match(privatePem, /^-----BEGIN (RSA )?PRIVATE KEY-----/);
      writeFileSync(join(root, 'openssl-20180101.pem'), privatePem + publicPem);
      const context = load(root, { privateKeys: { myapp: 'openssl-20180101.pem' } });
      assert.equal(context.keys.getSigningKey('myapp').kid, 'openssl-20180101');
      assert.equal(context.keys.getVerificationKey('myapp', 'openssl-20180101').kid, 'openssl-20180101');
      const token = encodeJwtToken(CLAIMS, context) as string;
      assert.equal((await decodeJwtToken(token, context)).sid, 'session-1');
      // The public half in the file is what other services verify with.
      assert.equal((jwt.verify(token, publicPem, { algorithms: ['RS256'] }) as jwt.JwtPayload).uid, 'user-1');
    },
  );

  it(
    'reads the other PEM flavours openssl writes: PKCS#1 keys, EC keys with their parameters, a certificate',
    { skip: !hasOpenssl && 'openssl not installed' },
    async () => {
      const pkcs1 = openssl(['genrsa', '-traditional', '2048']);
      assert.match(pkcs1, /^-----BEGIN RSA PRIVATE KEY-----/);
      writeFileSync(join(root, 'pkcs1.pem'), pkcs1 + openssl(['rsa', '-RSAPublicKey_out'], pkcs1));
      const ec = openssl(['ecparam', '-name', 'prime256v1', '-genkey']);
      assert.match(ec, /-----BEGIN EC PARAMETERS-----[\s\S]*-----BEGIN EC PRIVATE KEY-----/);
      writeFileSync(join(root, 'ec.pem'), ec + openssl(['ec', '-pubout'], ec));
      writeFileSync(join(root, 'pkcs1-private.pem'), pkcs1, { mode: 0o600 });
      const certificate = openssl(['req', '-x509', '-new', '-key', join(root, 'pkcs1-private.pem'), '-subj', '/CN=myapp', '-days', '1']);
      assert.match(certificate, /^-----BEGIN CERTIFICATE-----/);
      writeFileSync(join(root, 'cert.pem'), pkcs1 + certificate);

      for (const [file, encodeAlgorithm] of [
        ['pkcs1.pem', 'RS256'],
        ['ec.pem', 'ES256'],
        ['cert.pem', 'RS256'],
      ] as const) {
        const context = load(root, { encodeAlgorithm, privateKeys: { myapp: file } });
        const token = encodeJwtToken(CLAIMS, context) as string;
        assert.equal((await decodeJwtToken(token, context)).uid, 'user-1', file);
      }
    },
  );

  it('loads the file writeKeyFile makes: ISSUER-YYYYMMDD.pem, owner-only, private then public key', async () => {
    const dir = join(root, 'generated');
    const file = await writeKeyFile({ issuer: 'myapp', dir, date: new Date('2020-04-10T12:00:00Z') });
    assert.equal(file, join(dir, 'myapp-20200410.pem'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const { privatePem, publicPem } = split(readFileSync(file, 'utf8'));
    assert.match(privatePem, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(publicPem, /^-----BEGIN PUBLIC KEY-----/);
    const second = await writeKeyFile({ issuer: 'myapp', dir, date: new Date('2020-04-10T18:00:00Z') });
    assert.equal(second, join(dir, 'myapp-20200410-2.pem'), 'a second key of the day does not overwrite the first');

    const context = load(dir, { privateKeys: { myapp: ['myapp-20200410.pem', 'myapp-20200410-2.pem'] } });
    const token = encodeJwtToken(CLAIMS, context) as string;
    assert.equal(jwt.decode(token, { complete: true })!.header.kid, 'myapp-20200410');
    assert.equal((await decodeJwtToken(token, context)).sid, 'session-1');
    assert.equal((jwt.verify(token, publicPem, { algorithms: ['RS256'] }) as jwt.JwtPayload).sid, 'session-1');
  });

  it('kid is the file name relative to keyStoreRoot without .pem, also in a subdirectory', async () => {
    mkdirSync(join(root, 'myapp'), { recursive: true });
    writeFileSync(join(root, 'myapp', '2021.pem'), pems['myapp-20200410']!);
    const relative = load(root, { privateKeys: { myapp: ['myapp/2021.pem', 'myapp-20180101.pem'] } });
    assert.equal(relative.keys.getSigningKey('myapp').kid, 'myapp/2021');
    assert.equal(relative.keys.getVerificationKey('myapp', 'myapp/2021').kid, 'myapp/2021');
    assert.equal(relative.keys.getVerificationKey('myapp', 'myapp-20180101').kid, 'myapp-20180101');
    const token = encodeJwtToken(CLAIMS, relative) as string;
    assert.equal(jwt.decode(token, { complete: true })!.header.kid, 'myapp/2021');
    assert.equal((await decodeJwtToken(token, relative)).uid, 'user-1');

    const absolute = load(root, { privateKeys: { myapp: join(root, 'myapp', '2021.pem') } });
    assert.equal(absolute.keys.getSigningKey('myapp').kid, 'myapp/2021', 'an absolute path inside the root: relative to the root');

    const noRoot = resolveSettings({ identity: 'myapp', privateKeys: { myapp: join(root, 'myapp-20180101.pem') } });
    assert.equal(KeyStore.load(noRoot).getSigningKey('myapp').kid, 'myapp-20180101', 'no root: the base name');

    const fromCwd = resolveSettings({ identity: 'myapp', keyStoreRoot: 'myapp', privateKeys: { myapp: '2021.pem' } });
    assert.equal(KeyStore.load(fromCwd, { cwd: root }).getSigningKey('myapp').kid, '2021', 'a relative root is resolved against cwd');
  });

  it('keyIdFromFileName follows the same rule', () => {
    assert.equal(keyIdFromFileName('myapp-20200410.pem', '/srv/myapp/keys'), 'myapp-20200410');
    assert.equal(keyIdFromFileName('myapp/20200410.pem', '/srv/myapp/keys'), 'myapp/20200410');
    assert.equal(keyIdFromFileName('/srv/myapp/keys/old/myapp-20180101.pem', '/srv/myapp/keys'), 'old/myapp-20180101');
    assert.equal(keyIdFromFileName('/srv/myapp/keys/myapp-20180101.pem', null), 'myapp-20180101');
    assert.equal(keyIdFromFileName('myapp-key', null), 'myapp-key', 'no .pem suffix: the name as it is');
  });

  it('takes one file as a string or several as a list, for private and public keys', async () => {
    const single = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' }, publicKeys: { myapp: 'myapp-20200410.pem' } });
    const listed = load(root, {
      privateKeys: { myapp: ['myapp-20200410.pem'] },
      publicKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem'] },
    });
    assert.equal(single.keys.getSigningKey('myapp').kid, 'myapp-20200410');
    assert.equal(listed.keys.getSigningKey('myapp').kid, 'myapp-20200410');
    assert.throws(() => single.keys.getVerificationKey('myapp', 'myapp-20180101'), { code: 'KEY_NOT_FOUND' });
    assert.equal(listed.keys.getVerificationKey('myapp', 'myapp-20180101').kid, 'myapp-20180101');
    const token = encodeJwtToken(CLAIMS, single) as string;
    assert.equal((await decodeJwtToken(token, listed)).sid, 'session-1');
  });

  it('signs with the first private key; older keys keep verifying until they are removed from the list', async () => {
    const before = load(root, { privateKeys: { myapp: ['myapp-20180101.pem'] } });
    const oldToken = encodeJwtToken(CLAIMS, before) as string;
    assert.equal(jwt.decode(oldToken, { complete: true })!.header.kid, 'myapp-20180101');

    const rotated = load(root, { privateKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem'] } });
    const newToken = encodeJwtToken(CLAIMS, rotated) as string;
    assert.equal(jwt.decode(newToken, { complete: true })!.header.kid, 'myapp-20200410', 'the first listed key signs');
    assert.equal((await decodeJwtToken(oldToken, rotated)).sid, 'session-1', 'the old key still verifies');
    assert.equal((await decodeJwtToken(newToken, rotated)).sid, 'session-1');

    const retired = load(root, { privateKeys: { myapp: ['myapp-20200410.pem'] } });
    await decodeRejects(oldToken, retired, 'KEY_NOT_FOUND', /^Unauthorized token signing key\.$/);
    assert.equal((await decodeJwtToken(newToken, retired)).sid, 'session-1');

    const publicListedApart = load(root, {
      privateKeys: { myapp: ['myapp-20200410.pem'] },
      publicKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem'] },
    });
    assert.equal((await decodeJwtToken(oldToken, publicListedApart)).sid, 'session-1', 'publicKeys may keep a retired key verifying');
  });

  it('looks keys up by kid; without kid the current key; an unknown kid or issuer is refused', async () => {
    const { keys } = load(root, { privateKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem'] } });
    assert.equal(keys.getVerificationKey('myapp', 'myapp-20180101').kid, 'myapp-20180101');
    assert.equal(keys.getVerificationKey('myapp', undefined).kid, 'myapp-20200410');
    assert.deepEqual(keys.getVerificationKey('myapp', 'myapp-20200410').algorithms, ['RS256']);
    for (const [issuer, kid] of [
      ['myapp', 'myapp-29990101'],
      ['myapp', ''],
      ['otherapp', 'myapp-20200410'],
      ['otherapp', undefined],
    ] as const) {
      assert.throws(
        () => keys.getVerificationKey(issuer, kid),
        (error: unknown) =>
          error instanceof AuthenticationError && error.code === 'KEY_NOT_FOUND' && error.message === 'Unauthorized token signing key.',
        `${issuer}/${kid}`,
      );
    }
    assert.throws(
      () => keys.getSigningKey('otherapp'),
      (error: unknown) => error instanceof KeyError && error.code === 'KEY_NOT_FOUND' && /"otherapp"/.test(error.message),
    );
    assert.equal(keys.hasSigningKey('myapp'), true);
    assert.equal(keys.hasSigningKey('otherapp'), false);

    // A token without kid is checked against the current key only.
    const current = split(pems['myapp-20200410']!).privatePem;
    const old = split(pems['myapp-20180101']!).privatePem;
    const context = { ...load(root, { privateKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem'] } }), now: undefined };
    const claims = { ...CLAIMS, iss: 'myapp', aud: ['myapp'] };
    assert.equal((await decodeJwtToken(jwt.sign(claims, current, { algorithm: 'RS256' }), context)).sid, 'session-1');
    await decodeRejects(jwt.sign(claims, old, { algorithm: 'RS256' }), context, 'TOKEN_SIGNATURE_INVALID');
  });

  it('a service holding only public keys verifies but cannot sign', async () => {
    // The original's second example: otherapp's key store holds myapp's public key under the same name.
    const otherappRoot = join(root, 'otherapp-keys');
    mkdirSync(otherappRoot, { recursive: true });
    writeFileSync(join(otherappRoot, 'myapp-20200410.pem'), split(pems['myapp-20200410']!).publicPem);
    const identity = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' }, authorizationAudience: ['myapp', 'otherapp'] });
    const token = encodeJwtToken({ ...CLAIMS, token: 'auth' }, identity) as string;

    const settings = resolveSettings({
      identity: 'otherapp',
      acceptedIssuers: ['myapp'],
      keyStoreRoot: otherappRoot,
      publicKeys: { myapp: 'myapp-20200410.pem' },
    });
    const otherapp = { settings, keys: KeyStore.load(settings), now };
    assert.equal((await decodeJwtToken(token, otherapp)).token, 'auth');
    assert.throws(() => otherapp.keys.getSigningKey('myapp'), { code: 'KEY_NOT_FOUND' });
    assert.throws(
      () => encodeJwtToken({ ...CLAIMS, iss: 'myapp' }, otherapp),
      (e: unknown) => e instanceof KeyError && e.code === 'KEY_NOT_FOUND',
    );
  });

  describe('refuses unusable key files with a SettingsError naming the setting and the file', () => {
    it('a missing file, in privateKeys and in publicKeys', () => {
      loadThrows(
        root,
        { privateKeys: { myapp: 'missing.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'missing.pem'), message: /file not found/ },
      );
      loadThrows(
        root,
        { privateKeys: { myapp: 'myapp-20200410.pem' }, publicKeys: { myapp: ['myapp-20200410.pem', 'gone.pem'] } },
        { setting: 'publicKeys.myapp', file: join(root, 'gone.pem'), message: /file not found/ },
      );
    });

    it('a directory instead of a file', () => {
      mkdirSync(join(root, 'a-directory.pem'), { recursive: true });
      loadThrows(
        root,
        { privateKeys: { myapp: 'a-directory.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'a-directory.pem'), message: /file not readable/ },
      );
    });

    it('a file that is not PEM', () => {
      writeFileSync(join(root, 'not-pem.pem'), 'this is not a key\n');
      loadThrows(
        root,
        { privateKeys: { myapp: 'not-pem.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'not-pem.pem'), message: /holds no PEM key/ },
      );
    });

    it('a PEM block whose content is not a key', () => {
      writeFileSync(join(root, 'corrupt.pem'), '-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n');
      loadThrows(
        root,
        { privateKeys: { myapp: 'corrupt.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'corrupt.pem'), message: /corrupt\.pem: / },
      );
    });

    it('a public-only file listed in privateKeys', () => {
      writeFileSync(join(root, 'only-public.pem'), split(pems['myapp-20200410']!).publicPem);
      loadThrows(
        root,
        { privateKeys: { myapp: 'only-public.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'only-public.pem'), message: /holds no private key/ },
      );
      loadThrows(
        root,
        { privateKeys: { myapp: ['myapp-20200410.pem', 'only-public.pem'] } },
        { setting: 'privateKeys.myapp', file: join(root, 'only-public.pem'), message: /holds no private key/ },
      );
    });

    it('a file whose key id (its name) is not printable ASCII: jsonwebtoken writes headers as Latin-1', () => {
      for (const name of ['myapp-clé', 'myapp-鍵', 'myapp-tab\there']) {
        writeFileSync(join(root, `${name}.pem`), pems['myapp-20200410']!);
        loadThrows(
          root,
          { privateKeys: { myapp: `${name}.pem` } },
          { setting: 'privateKeys.myapp', file: join(root, `${name}.pem`), message: /key id .* must be printable ASCII/ },
        );
        loadThrows(
          root,
          { privateKeys: { myapp: 'myapp-20200410.pem' }, publicKeys: { partner: `${name}.pem` } },
          { setting: 'publicKeys.partner', file: join(root, `${name}.pem`), message: /must be printable ASCII/ },
        );
      }
    });

    it('an RSA private key under 2048 bits, which jsonwebtoken will not sign with (it still verifies)', () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', {
        modulusLength: 1024,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      writeFileSync(join(root, 'small.pem'), privateKey + publicKey);
      loadThrows(
        root,
        { privateKeys: { myapp: 'small.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'small.pem'), message: /RSA key of 1024 bits/ },
      );
      const verifier = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' }, publicKeys: { legacy: 'small.pem' } });
      assert.deepEqual(verifier.keys.getVerificationKey('legacy', undefined).algorithms, ['RS256']);
    });

    it('a private key with the public key of another pair', () => {
      writeFileSync(join(root, 'mismatched.pem'), split(pems['myapp-20200410']!).privatePem + split(pems['myapp-20180101']!).publicPem);
      loadThrows(
        root,
        { privateKeys: { myapp: 'mismatched.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'mismatched.pem'), message: /public key does not belong to its private key/ },
      );
    });

    it('two private keys in one file, and an encrypted private key', () => {
      writeFileSync(join(root, 'two.pem'), split(pems['myapp-20200410']!).privatePem + split(pems['myapp-20180101']!).privatePem);
      loadThrows(
        root,
        { privateKeys: { myapp: 'two.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'two.pem'), message: /more than one private key/ },
      );
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      writeFileSync(join(root, 'encrypted.pem'), privateKey);
      loadThrows(
        root,
        { privateKeys: { myapp: 'encrypted.pem' } },
        { setting: 'privateKeys.myapp', file: join(root, 'encrypted.pem'), message: /private key is encrypted/ },
      );
    });
  });

  describe('algorithms', () => {
    const cases: [Algorithm, Algorithm][] = [
      ['RS256', 'RS256'],
      ['RS384', 'RS384'],
      ['RS512', 'RS512'],
      ['PS256', 'PS256'],
      ['ES256', 'ES256'],
      ['ES384', 'ES384'],
    ];

    it('signs RS256 by default', async () => {
      const context = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' } });
      assert.equal(context.settings.encodeAlgorithm, 'RS256');
      const token = encodeJwtToken(CLAIMS, context) as string;
      assert.deepEqual(jwt.decode(token, { complete: true })!.header, { alg: 'RS256', typ: 'JWT', kid: 'myapp-20200410' });
    });

    for (const [algorithm, keyType] of cases) {
      it(`round trip with ${algorithm}, verifiable by jsonwebtoken`, async () => {
        const file = await add(`key-${keyType}`, keyType);
        const context = load(root, { encodeAlgorithm: algorithm, privateKeys: { myapp: file } });
        const token = encodeJwtToken(CLAIMS, context) as string;
        assert.equal(jwt.decode(token, { complete: true })!.header.alg, algorithm);
        const payload = await decodeJwtToken(token, context);
        assert.deepEqual(payload, { ...CLAIMS, iss: 'myapp', aud: ['myapp'], iat: NOW });
        const verified = jwt.verify(token, split(pems[`key-${keyType}`]!).publicPem, {
          algorithms: [algorithm],
          clockTimestamp: NOW,
        }) as jwt.JwtPayload;
        assert.equal(verified.sid, 'session-1');
      });
    }

    it('uses each key only with algorithms of its own type', async () => {
      const rsa = await add('key-RS256', 'RS256');
      const ec256 = await add('key-ES256', 'ES256');
      loadThrows(
        root,
        { encodeAlgorithm: 'ES256', privateKeys: { myapp: rsa } },
        { setting: 'encodeAlgorithm', file: join(root, rsa), message: /ES256 cannot be used with the rsa key/ },
      );
      loadThrows(
        root,
        { encodeAlgorithm: 'ES384', privateKeys: { myapp: ec256 } },
        { setting: 'encodeAlgorithm', file: join(root, ec256), message: /ES384 cannot be used with the ec key .* \(it allows ES256\)/ },
      );
      loadThrows(
        root,
        { encodeAlgorithm: 'RS256', privateKeys: { myapp: ec256 } },
        { setting: 'encodeAlgorithm', file: join(root, ec256), message: /RS256 cannot be used with the ec key/ },
      );
      assert.throws(
        () => {
          const settings = resolveSettings({
            identity: 'otherapp',
            decodeAlgorithms: ['ES256'],
            keyStoreRoot: root,
            publicKeys: { myapp: rsa },
          });
          KeyStore.load(settings);
        },
        (error: unknown) =>
          error instanceof SettingsError &&
          error.setting === 'publicKeys.myapp' &&
          error.file === join(root, rsa) &&
          /cannot verify any of decodeAlgorithms \[ES256\]/.test(error.message),
      );
    });

    it('refuses an HS256 token made with the RSA public key as HMAC secret (HS/RS confusion)', async () => {
      const context = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' } });
      const header = { alg: 'HS256', typ: 'JWT', kid: 'myapp-20200410' };
      const payload = { ...CLAIMS, iss: 'myapp', aud: ['myapp'] };
      const input = `${b64(header)}.${b64(payload)}`;
      for (const secret of [
        split(pems['myapp-20200410']!).publicPem,
        context.keys.getVerificationKey('myapp', undefined).publicKey.export({ format: 'der', type: 'spki' }),
      ]) {
        const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        await decodeRejects(forged, context, 'TOKEN_ALGORITHM_NOT_ALLOWED', /"HS256" is not allowed/);
      }
    });

    it('refuses alg "none", with and without a signature', async () => {
      const context = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' } });
      const payload = { ...CLAIMS, iss: 'myapp', aud: ['myapp'] };
      const unsigned = jwt.sign(payload, '', { algorithm: 'none' });
      assert.equal(unsigned.split('.')[2], '');
      await decodeRejects(unsigned, context, 'TOKEN_ALGORITHM_NOT_ALLOWED', /"none" is not allowed/);
      const signed = encodeJwtToken(CLAIMS, context) as string;
      const [, body, signature] = signed.split('.');
      await decodeRejects(
        `${b64({ alg: 'none', typ: 'JWT', kid: 'myapp-20200410' })}.${body}.${signature}`,
        context,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
      );
      await decodeRejects(
        `${b64({ typ: 'JWT', kid: 'myapp-20200410' })}.${body}.${signature}`,
        context,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        /undefined is not allowed/,
      );
    });

    it('refuses an ES256 token presented for an RSA kid, and RS256 for an EC kid, even when both algorithms are allowed', async () => {
      const rsa = await add('key-RS256', 'RS256');
      const ec = await add('key-ES256', 'ES256');
      const context = load(root, { decodeAlgorithms: ['RS256', 'ES256'], privateKeys: { myapp: [rsa, ec] } });
      const claims = { ...CLAIMS, iss: 'myapp', aud: ['myapp'] };
      const ecPrivate = split(pems['key-ES256']!).privatePem;
      const rsaPrivate = split(pems['key-RS256']!).privatePem;
      assert.equal(
        (await decodeJwtToken(jwt.sign(claims, ecPrivate, { algorithm: 'ES256', keyid: 'key-ES256' }), context)).sid,
        'session-1',
      );
      assert.equal(
        (await decodeJwtToken(jwt.sign(claims, rsaPrivate, { algorithm: 'RS256', keyid: 'key-RS256' }), context)).sid,
        'session-1',
      );
      await decodeRejects(
        jwt.sign(claims, ecPrivate, { algorithm: 'ES256', keyid: 'key-RS256' }),
        context,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        /"ES256"/,
      );
      await decodeRejects(
        jwt.sign(claims, rsaPrivate, { algorithm: 'RS256', keyid: 'key-ES256' }),
        context,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        /"RS256"/,
      );
      assert.deepEqual(context.keys.getVerificationKey('myapp', 'key-RS256').algorithms, ['RS256']);
      assert.deepEqual(context.keys.getVerificationKey('myapp', 'key-ES256').algorithms, ['ES256']);
    });

    it('an RSASSA-PSS key verifies only the PS algorithm its parameters name', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa-pss', {
        modulusLength: 2048,
        hashAlgorithm: 'sha384',
        mgf1HashAlgorithm: 'sha384',
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      writeFileSync(join(root, 'pss-384.pem'), privateKey + publicKey);
      const context = load(root, {
        encodeAlgorithm: 'PS384',
        decodeAlgorithms: ['PS256', 'PS384', 'PS512'],
        privateKeys: { myapp: 'pss-384.pem' },
      });
      assert.deepEqual(context.keys.getVerificationKey('myapp', undefined).algorithms, ['PS384']);
      const token = encodeJwtToken(CLAIMS, context) as string;
      assert.equal((await decodeJwtToken(token, context)).sid, 'session-1');
      const [, body, signature] = token.split('.');
      await decodeRejects(
        `${b64({ alg: 'PS256', typ: 'JWT', kid: 'pss-384' })}.${body}.${signature}`,
        context,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        /"PS256"/,
      );
      loadThrows(
        root,
        { encodeAlgorithm: 'PS256', decodeAlgorithms: ['PS256'], privateKeys: { myapp: 'pss-384.pem' } },
        { setting: 'encodeAlgorithm', message: /PS256 cannot be used with the rsa-pss key/ },
      );
    });

    it('refuses an algorithm of the right key type that decodeAlgorithms does not allow', async () => {
      const context = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' } });
      const claims = { ...CLAIMS, iss: 'myapp', aud: ['myapp'] };
      const token = jwt.sign(claims, split(pems['myapp-20200410']!).privatePem, { algorithm: 'PS256', keyid: 'myapp-20200410' });
      await decodeRejects(token, context, 'TOKEN_ALGORITHM_NOT_ALLOWED', /"PS256"/);
      const allowing = load(root, { decodeAlgorithms: ['RS256', 'PS256'], privateKeys: { myapp: 'myapp-20200410.pem' } });
      assert.equal((await decodeJwtToken(token, allowing)).sid, 'session-1');
    });
  });

  describe('interoperates with jsonwebtoken', () => {
    it('a token from encodeJwtToken verifies with jsonwebtoken.verify and the public PEM', () => {
      const context = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' }, sessionExpiration: 3600 });
      const token = encodeJwtToken({ ...CLAIMS, email: 'alice@example.com', scopes: ['a:read'] }, context) as string;
      const verified = jwt.verify(token, split(pems['myapp-20200410']!).publicPem, {
        algorithms: ['RS256'],
        audience: 'myapp',
        issuer: 'myapp',
        clockTimestamp: NOW + 60,
        complete: true,
      });
      assert.deepEqual(verified.header, { alg: 'RS256', typ: 'JWT', kid: 'myapp-20200410' });
      assert.deepEqual(verified.payload, {
        ...CLAIMS,
        email: 'alice@example.com',
        scopes: ['a:read'],
        iss: 'myapp',
        aud: ['myapp'],
        exp: NOW + 3600,
        iat: NOW,
      });
      assert.throws(() => jwt.verify(token, split(pems['myapp-20180101']!).publicPem, { algorithms: ['RS256'] }), {
        name: 'JsonWebTokenError',
        message: 'invalid signature',
      });
    });

    it('a token from jsonwebtoken.sign with the same key, kid and claims is accepted by decodeJwtToken', async () => {
      const context = load(root, { privateKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem'] } });
      const claims = {
        token: 'auth',
        sid: 'session-1',
        uid: 42,
        email: null,
        iss: 'myapp',
        aud: 'myapp',
        iat: NOW,
        exp: NOW + 300,
        account: '7',
      };
      for (const kid of ['myapp-20200410', 'myapp-20180101']) {
        const token = jwt.sign(claims, split(pems[kid]!).privatePem, { algorithm: 'RS256', keyid: kid });
        assert.deepEqual(await decodeJwtToken(token, context), claims);
      }
      const wrongKey = jwt.sign(claims, split(pems['myapp-20180101']!).privatePem, { algorithm: 'RS256', keyid: 'myapp-20200410' });
      await decodeRejects(wrongKey, context, 'TOKEN_SIGNATURE_INVALID', /^Token signature is invalid\.$/);
    });
  });

  describe('toJwks', () => {
    it('publishes every public key of the issuer with kid, alg and use "sig", and no private parts', async () => {
      const ec = await add('key-ES256', 'ES256');
      const { keys } = load(root, {
        decodeAlgorithms: ['RS256', 'ES256'],
        privateKeys: { myapp: 'myapp-20200410.pem' },
        publicKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem', ec] },
      });
      const jwks = keys.toJwks();
      assert.deepEqual(
        jwks.keys.map((k) => [k.kid, k.alg, k.use, k.kty]),
        [
          ['myapp-20200410', 'RS256', 'sig', 'RSA'],
          ['myapp-20180101', 'RS256', 'sig', 'RSA'],
          ['key-ES256', 'ES256', 'sig', 'EC'],
        ],
      );
      assert.deepEqual(Object.keys(jwks.keys[0]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.deepEqual(Object.keys(jwks.keys[2]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      assert.equal(jwks.keys[2]!.crv, 'P-256');
      for (const key of jwks.keys) {
        for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) assert.equal(part in key, false, `${key.kid} has no "${part}"`);
      }
      const json = JSON.stringify(jwks);
      assert.equal(JSON.parse(json).keys.length, 3);
      assert.doesNotMatch(json, /PRIVATE/);
    });

    it("serves a RemoteKeySet that verifies the issuer's tokens", async () => {
      const context = load(root, { privateKeys: { myapp: ['myapp-20200410.pem', 'myapp-20180101.pem'] } });
      const fetch = (async () => new Response(JSON.stringify(context.keys.toJwks()), { status: 200 })) as typeof globalThis.fetch;
      const remote = new RemoteKeySet({ issuers: { myapp: 'http://myapp/.well-known/jwks.json' }, algorithms: ['RS256'], fetch });
      const token = encodeJwtToken(CLAIMS, context) as string;
      assert.equal((await decodeJwtToken(token, { settings: context.settings, keys: remote, now })).sid, 'session-1');
    });

    it('publishes only the keys of the issuers it signs for, not the keys of issuers it merely accepts', async () => {
      // myapp trusts partner's tokens. If myapp's JWKS published partner's key, every service reading
      // myapp's JWKS would accept a token that claims iss "myapp" but is signed by partner.
      const partner = await add('partner-20200101');
      const context = load(root, { privateKeys: { myapp: 'myapp-20200410.pem' }, publicKeys: { partner } });
      const jwks = context.keys.toJwks();
      assert.deepEqual(
        jwks.keys.map((k) => k.kid),
        ['myapp-20200410'],
      );

      const fetch = (async () => new Response(JSON.stringify(jwks), { status: 200 })) as typeof globalThis.fetch;
      const remote = new RemoteKeySet({ issuers: { myapp: 'http://myapp/.well-known/jwks.json' }, algorithms: ['RS256'], fetch });
      const claims = { ...CLAIMS, iss: 'myapp', aud: ['myapp'] };
      const forged = jwt.sign(claims, split(pems['partner-20200101']!).privatePem, { algorithm: 'RS256', keyid: 'partner-20200101' });
      await decodeRejects(forged, { settings: context.settings, keys: remote, now }, 'KEY_NOT_FOUND');
    });
  });
});
