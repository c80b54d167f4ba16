/** An entry of a `ClockMap`: whether it was used since the clock hand last passed, and its slot. */
export interface ClockEntry {
  referenced: boolean;
  slot: number;
}

/**
 * A Map of at most `capacity` entries with CLOCK eviction (second chance, an LRU approximation):
 * entries sit in a ring of slots; to make room, the hand sweeps the ring, clearing the mark of
 * each entry used since its last pass and evicting the first unmarked one. A hit costs one
 * boolean write (no reordering), an eviction amortized O(1), and nothing iterates the Map.
 */
export class ClockMap<K, V extends ClockEntry> {
  private readonly index = new Map<K, V>();
  private readonly keys: (K | undefined)[] = [];
  private readonly values: (V | undefined)[] = [];
  /** Slots emptied by `delete`, filled before anything is evicted. */
  private readonly free: number[] = [];
  private hand = 0;
  evictions = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number of 1 or more (got ${capacity})`);
  }

  get size(): number {
    return this.index.size;
  }

  /** The entry, without marking it: the caller sets `referenced` when it really uses it. */
  get(key: K): V | undefined {
    return this.index.get(key);
  }

  set(key: K, value: V): void {
    const existing = this.index.get(key);
    let slot: number;
    if (existing !== undefined) slot = existing.slot;
    else if (this.free.length > 0) slot = this.free.pop()!;
    else if (this.keys.length < this.capacity) slot = this.keys.length;
    else slot = this.evict();
    value.slot = slot;
    this.keys[slot] = key;
    this.values[slot] = value;
    this.index.set(key, value);
  }

  delete(key: K): void {
    const entry = this.index.get(key);
    if (entry === undefined) return;
    this.index.delete(key);
    this.keys[entry.slot] = undefined;
    this.values[entry.slot] = undefined;
    this.free.push(entry.slot);
  }

  clear(): void {
    this.index.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.free.length = 0;
    this.hand = 0;
  }

  /** Frees a slot of a full ring (no free slots, so every slot holds an entry); returns it. */
  private evict(): number {
    // Each marked entry passed loses its mark, so this ends within one sweep plus one slot.
    for (;;) {
      const slot = this.hand;
      this.hand = slot + 1 === this.capacity ? 0 : slot + 1;
      const entry = this.values[slot]!;
      if (entry.referenced) {
        entry.referenced = false;
        continue;
      }
      this.index.delete(this.keys[slot]!);
      this.evictions += 1;
      return slot;
    }
  }
}
