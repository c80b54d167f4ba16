import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../support/cli.js';

describe('serve: the bind address is the host setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sso-host-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on settings.host when --host is not given', async () => {
    const config = join(dir, 'sso.config.json');
    writeFileSync(config, JSON.stringify({ identity: 'myapp', host: '127.0.0.3', passwordHashRounds: 4 }));
    child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config', config], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', SSO_CONFIG: '', SSO_DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out}`)), 60_000);
      const onData = (d: Buffer) => {
        out += d;
        const match = /identity service: (http:\/\/\S+\/graphql)/.exec(out);
        if (match) {
          clearTimeout(timer);
          done(match[1]!);
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.on('exit', (code) => fail(new Error(`serve exited with ${code}:\n${out}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.3:\d+\/graphql$/);
    const health = await fetch(new URL('/healthz', url));
    assert.equal(health.status, 200);
    // Not on another loopback address: it is bound to the one named.
    const port = new URL(url).port;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });
});
