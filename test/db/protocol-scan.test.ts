import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mayDropListens, NotificationScanner } from '../../src/db/lib/protocol-scan.js';

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
const notification = (channel: string, payload: string) =>
  message('A', Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from(`${channel}\0${payload}\0`)]));
const dataRow = (size: number) => message('D', Buffer.alloc(size, 0x61));

describe('reading notifications off the wire protocol (the embedded database)', () => {
  const stream = Buffer.concat([
    dataRow(100),
    notification('sso_session', 'session:1'),
    dataRow(3000),
    notification('sso_session', 'user:ü'),
    message('Z', Buffer.from('I')),
  ]);

  it('finds every notification however the answer is cut into chunks', () => {
    for (const size of [1, 2, 3, 5, 7, 64, 101, 4096, stream.length]) {
      const seen: string[] = [];
      const scanner = new NotificationScanner((channel, payload) => seen.push(`${channel} ${payload}`));
      for (let at = 0; at < stream.length; at += size) scanner.scan(stream.subarray(at, at + size));
      assert.deepEqual(seen, ['sso_session session:1', 'sso_session user:ü'], `chunks of ${size}`);
    }
  });

  it('stops reading at a length that is not the protocol, without looping', () => {
    const seen: string[] = [];
    const broken = Buffer.concat([Buffer.from([0x44, 0, 0, 0, 1]), notification('sso_session', 'session:2')]);
    new NotificationScanner((_channel, payload) => seen.push(payload)).scan(broken);
    assert.deepEqual(seen, []);
  });

  it('tells statements that may drop LISTEN, in simple and prepared queries only', () => {
    const query = (sql: string) => message('Q', Buffer.from(`${sql}\0`));
    const parse = (sql: string) => message('P', Buffer.from(`\0${sql}\0\0\0`));
    const bind = (value: string) => message('B', Buffer.from(`\0\0\0\0\0\x01\0\0\0${String.fromCharCode(value.length)}${value}\0\0`));
    assert.equal(mayDropListens(query('UNLISTEN *')), true);
    assert.equal(mayDropListens(query('discard all')), true);
    assert.equal(mayDropListens(Buffer.concat([parse('select 1'), parse('Unlisten sso_session')])), true);
    assert.equal(mayDropListens(query('select * from users')), false);
    assert.equal(
      mayDropListens(Buffer.concat([parse('select * from users where username = $1'), bind('discard')])),
      false,
      'a bound value is data',
    );
    const startup = Buffer.alloc(8);
    startup.writeUInt32BE(8, 0);
    startup.writeUInt32BE(196608, 4);
    assert.equal(mayDropListens(startup), false);
  });
});
