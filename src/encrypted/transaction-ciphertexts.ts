import type { DynamoDbItem } from '../format/attribute-value';
import { CiphertextMemo } from './ciphertext-memo';

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

interface TokenEntry {
  lastUsed: number;
  /** The ciphertexts of the caller's item objects sent under this token. */
  readonly items: CiphertextMemo;
}

const TEN_MINUTES_MS = 10 * 60 * 1000;

/**
 * DynamoDB accepts a TransactWriteItems retried with the same ClientRequestToken only if the
 * request is identical to the first attempt, byte for byte; encryption draws fresh IVs (and the
 * provider fresh keys) every time. So the ciphertext of each Put item is remembered per token and
 * per item object the caller passed, and a retry with the same token and the same objects sends
 * the same bytes.
 *
 * No plaintext is held (see CiphertextMemo); an object changed since is encrypted afresh
 * (DynamoDB then reports the mismatch, as it would without encryption).
 */
export class TransactionCiphertexts {
  private readonly tokens = new Map<string, TokenEntry>();
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
    return this.itemsOf(token).encryptOnce(tableName, item, encrypt);
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

  private itemsOf(token: string): CiphertextMemo {
    const now = this.now();
    this.forgetExpired(now);
    const entry = this.tokens.get(token) ?? { lastUsed: now, items: new CiphertextMemo() };
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
