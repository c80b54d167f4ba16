/**
 * What `startEmbedded` reads off the PostgreSQL wire protocol between PGlite and its socket
 * clients. Each message is a type byte and a 4-byte big-endian length that counts itself.
 */

const NOTIFICATION_RESPONSE = 0x41; // 'A'
const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'
/** Statements after which the session's `LISTEN`s may be gone (PGlite has one session for all clients). */
const DROPS_LISTEN = /\b(?:unlisten|discard)\b/i;

/**
 * Finds the notifications in one answer of the backend, read a chunk at a time: a message may
 * continue in the next chunk.
 */
export class NotificationScanner {
  /** Bytes of a message other than a notification still to come: not needed, skipped. */
  private skip = 0;
  /** The start of a notification (or of a message's header) that the next chunk completes. */
  private pending: Buffer | null = null;

  constructor(private readonly onNotification: (channel: string, payload: string) => void) {}

  scan(chunk: Uint8Array): void {
    let from = 0;
    if (this.skip > 0) {
      from = Math.min(this.skip, chunk.byteLength);
      this.skip -= from;
      if (from === chunk.byteLength) return;
    }
    const rest = Buffer.from(chunk.buffer, chunk.byteOffset + from, chunk.byteLength - from);
    const data = this.pending ? Buffer.concat([this.pending, rest]) : rest;
    this.pending = null;
    let at = 0;
    while (at < data.length) {
      if (data.length - at < 5) break;
      const length = data.readUInt32BE(at + 1);
      // Not the protocol (a length counts its own 4 bytes): nothing more can be read from it.
      if (length < 4) return;
      const end = at + 1 + length;
      if (data[at] !== NOTIFICATION_RESPONSE) {
        if (end > data.length) {
          this.skip = end - data.length;
          return;
        }
        at = end;
        continue;
      }
      if (end > data.length) break;
      // The notifying backend's pid (4 bytes), then the channel and the payload as C strings.
      const channelEnd = data.indexOf(0, at + 9);
      this.onNotification(data.toString('utf8', at + 9, channelEnd), data.toString('utf8', channelEnd + 1, end - 1));
      at = end;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
  }
}

/**
 * Whether the client's messages hold a statement (a simple query or a prepared one's text) that
 * may end the session's `LISTEN`s: `UNLISTEN` or `DISCARD`. The start-up packet has no type byte
 * (it begins with a zero byte) and is not looked into.
 */
export function mayDropListens(message: Uint8Array): boolean {
  const data = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  let at = 0;
  while (at + 5 <= data.length) {
    const type = data[at]!;
    const length = data.readUInt32BE(at + 1);
    if (type === 0 || length < 4) return false;
    const end = Math.min(at + 1 + length, data.length);
    if ((type === QUERY || type === PARSE) && DROPS_LISTEN.test(data.toString('latin1', at + 5, end))) return true;
    at = end;
  }
  return false;
}
