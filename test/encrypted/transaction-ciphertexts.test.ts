/**
 * TransactionCiphertexts: the ciphertext of a transaction's Put items, per ClientRequestToken and
 * item object, bounded by the number of tokens and by age, and holding no plaintext.
 */
import { TransactionCiphertexts } from '../../src/encrypted/transaction-ciphertexts';
import type { DynamoDbItem } from '../../src/format/attribute-value';

const MINUTE = 60_000;

function counter(): { encrypt: () => Promise<DynamoDbItem>; count: () => number } {
  let calls = 0;
  return { encrypt: async () => ({ ciphertext: { N: String((calls += 1)) } }), count: () => calls };
}

describe('TransactionCiphertexts', () => {
  it('reuses the ciphertext for the same token, table and unchanged item object only', async () => {
    const cache = new TransactionCiphertexts();
    const { encrypt, count } = counter();
    const item: DynamoDbItem = { pk: { S: 'a' }, secret: { S: 'plaintext-value' } };
    const first = await cache.encryptOnce('t1', 'orders', item, encrypt);
    expect(await cache.encryptOnce('t1', 'orders', item, encrypt)).toBe(first);
    expect(count()).toBe(1);
    await cache.encryptOnce('t2', 'orders', item, encrypt); // another token
    await cache.encryptOnce('t1', 'archive', item, encrypt); // another table
    await cache.encryptOnce('t1', 'orders', { ...item }, encrypt); // another object, equal content
    expect(count()).toBe(4);
    item.secret = { S: 'changed' };
    expect(await cache.encryptOnce('t1', 'orders', item, encrypt)).not.toBe(first);
    expect(count()).toBe(5);
    // Without a token nothing is remembered.
    await cache.encryptOnce(undefined, 'orders', item, encrypt);
    await cache.encryptOnce(undefined, 'orders', item, encrypt);
    expect(count()).toBe(7);
  });

  it('forgets a token after maxAgeMs without use, counted from its last use', async () => {
    let now = 0;
    const cache = new TransactionCiphertexts({ maxAgeMs: 10 * MINUTE, now: () => now });
    const { encrypt, count } = counter();
    const item: DynamoDbItem = { pk: { S: 'a' } };
    await cache.encryptOnce('t', 'orders', item, encrypt);
    now = 9 * MINUTE;
    cache.touch('t'); // the request completed
    now = 18 * MINUTE;
    await cache.encryptOnce('t', 'orders', item, encrypt);
    expect(count()).toBe(1);
    now = 28 * MINUTE;
    await cache.encryptOnce('other', 'orders', item, encrypt);
    expect(cache.size).toBe(1);
    await cache.encryptOnce('t', 'orders', item, encrypt);
    expect(count()).toBe(3);
  });

  it('keeps at most maxTokens tokens, forgetting the least recently used', async () => {
    const cache = new TransactionCiphertexts({ maxTokens: 3 });
    const { encrypt, count } = counter();
    const item: DynamoDbItem = { pk: { S: 'a' } };
    for (const token of ['a', 'b', 'c']) await cache.encryptOnce(token, 'orders', item, encrypt);
    await cache.encryptOnce('a', 'orders', item, encrypt); // a is now the most recent
    await cache.encryptOnce('d', 'orders', item, encrypt); // b goes
    expect(cache.size).toBe(3);
    expect(count()).toBe(4);
    await cache.encryptOnce('a', 'orders', item, encrypt);
    expect(count()).toBe(4);
    await cache.encryptOnce('b', 'orders', item, encrypt);
    expect(count()).toBe(5);
  });

  it('does not remember a failed encryption', async () => {
    const cache = new TransactionCiphertexts();
    const item: DynamoDbItem = { pk: { S: 'a' } };
    await expect(cache.encryptOnce('t', 'orders', item, () => Promise.reject(new Error('provider down')))).rejects.toThrow('provider down');
    await expect(cache.encryptOnce('t', 'orders', item, async () => ({ ok: { BOOL: true } }))).resolves.toEqual({ ok: { BOOL: true } });
  });

  it('holds no plaintext value', async () => {
    const cache = new TransactionCiphertexts();
    const item: DynamoDbItem = { pk: { S: 'a' }, secret: { S: 'plaintext-sentinel' } };
    await cache.encryptOnce('t', 'orders', item, async () => ({ secret: { B: new Uint8Array([1, 2, 3]) } }));
    // Looks inside: the token's CiphertextMemo and what it keeps for the item.
    const inner = (cache as unknown as { tokens: Map<string, { items: { ciphertexts: WeakMap<object, Map<string, { digest: string }>> } }> }).tokens.get('t');
    const digest = inner?.items.ciphertexts.get(item)?.get('orders')?.digest ?? '';
    expect(digest).not.toBe('');
    expect(digest).not.toContain('plaintext-sentinel');
  });
});
