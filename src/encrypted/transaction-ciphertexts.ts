import { createHmac, randomBytes } from 'node:crypto';
import type { DynamoDbItem } from '../format/attribute-value';
import { fingerprintOf } from './unprocessed-writes';

export interface TransactionCiphertextsOptions {
  /**
   * Tokens remembered at most; the least recently used is forgotten first.
   * @default 1000
   */
  readonly maxTokens?: number;
  /**
   * How long a token is remembered after its last use. DynamoDB honours a ClientRequestToken for
   * 10 minutes after the request completes.
   * @default 10 minutes
   */
  readonly maxAgeMs?: number;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
}

interface Ciphertext {
  /** A keyed digest of the plaintext it was made from: tells a changed item without holding its content. */
  readonly digest: string;
  readonly encrypted: Promise<DynamoDbItem>;
}

interface TokenEntry {
  lastUsed: number;
  /** Per caller item object, per table (the table name is signed, so each table has its own ciphertext). */
  readonly items: WeakMap<object, Map<string, Ciphertext>>;
}

const TEN_MINUTES_MS = 10 * 60 * 1000;

/**
 * DynamoDB accepts a TransactWriteItems retried with the same ClientRequestToken only if the
 * request is identical to the first attempt, byte for byte; encryption draws fresh IVs (and the
 * provider fresh keys) every time. So the ciphertext of each Put item is remembered per token and
 * per item object the caller passed, and a retry with the same token and the same objects sends
 * the same bytes.
 *
 * No plaintext is held: items are weak keys (the caller's own objects, forgotten with them) and
 * a change to an object since is told by an HMAC under a key of this instance; a changed object is
 * encrypted afresh (DynamoDB then reports the mismatch, as it would without encryption).
 */
export class TransactionCiphertexts {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly digestKey = randomBytes(32);
  private readonly maxTokens: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: TransactionCiphertextsOptions = {}) {
    this.maxTokens = options.maxTokens ?? 1000;
    this.maxAgeMs = options.maxAgeMs ?? TEN_MINUTES_MS;
    this.now = options.now ?? Date.now;
  }

  /** How many tokens are remembered. */
  get size(): number {
    return this.tokens.size;
  }

  encryptOnce(token: string | undefined, tableName: string, item: DynamoDbItem, encrypt: () => Promise<DynamoDbItem>): Promise<DynamoDbItem> {
    if (token === undefined) return encrypt(); // the SDK makes a token per call: no retry can reuse it
    const byTable = this.itemsOf(token);
    const digest = createHmac('sha256', this.digestKey).update(fingerprintOf(item)).digest('base64');
    let ciphertexts = byTable.get(item);
    if (ciphertexts === undefined) {
      ciphertexts = new Map();
      byTable.set(item, ciphertexts);
    }
    const known = ciphertexts.get(tableName);
    if (known !== undefined && known.digest === digest) return known.encrypted;
    const encrypted = encrypt();
    const entries = ciphertexts;
    entries.set(tableName, { digest, encrypted });
    // A failed encryption is not remembered: the next attempt tries again.
    encrypted.catch(() => {
      if (entries.get(tableName)?.encrypted === encrypted) entries.delete(tableName);
    });
    return encrypted;
  }

  /**
   * Marks a token used now, e.g. when its request completes: DynamoDB's window runs from there.
   */
  touch(token: string | undefined): void {
    const entry = token === undefined ? undefined : this.tokens.get(token);
    if (entry === undefined) return;
    this.tokens.delete(token as string);
    entry.lastUsed = this.now();
    this.tokens.set(token as string, entry);
  }

  private itemsOf(token: string): WeakMap<object, Map<string, Ciphertext>> {
    const now = this.now();
    this.forgetExpired(now);
    const entry = this.tokens.get(token) ?? { lastUsed: now, items: new WeakMap() };
    // Re-inserted, so that the Map's order is least recently used first.
    this.tokens.delete(token);
    entry.lastUsed = now;
    this.tokens.set(token, entry);
    while (this.tokens.size > this.maxTokens) this.tokens.delete(this.tokens.keys().next().value as string);
    return entry.items;
  }

  private forgetExpired(now: number): void {
    for (const [token, entry] of this.tokens) {
      if (now - entry.lastUsed < this.maxAgeMs) break;
      this.tokens.delete(token);
    }
  }
}
