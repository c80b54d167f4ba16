/**
 * Notifications (`NOTIFY`) that a database delivers to this process without a connection of its
 * own listening: the embedded database's, seen as they leave it (`startEmbedded`).
 */
export interface DatabaseNotifications {
  /**
   * Calls `onNotify` with the payload of each notification on `channel` (one of those the
   * database was opened to listen on), synchronously, before the client whose commit sent it is
   * answered; `onLost` once delivery can no longer be guaranteed. Returns the unsubscribe.
   */
  subscribe(channel: string, listener: { onNotify(payload: string): void; onLost(): void }): () => void;
}
