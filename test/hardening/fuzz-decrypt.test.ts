/**
 * Issue #8, hostile input to decryptDynamoDbItem: arbitrary items (every attribute type,
 * malformed, huge, deeply nested, random reserved attributes) and validly encrypted items
 * tampered with. Properties (test/hardening/fuzz-oracle.ts): a typed error or success, each case
 * under a second, no plaintext or key bytes in what is thrown; tampered signed content is always
 * rejected, and an item whose only changes are to DO_NOTHING attributes always decrypts.
 * The same targets run at volume in `npm run bench -- fuzz`.
 */
import { assertTarget } from './fuzz-oracle';
import { decryptArbitraryItem, decryptTamperedItem } from './fuzz-targets';

describe('fuzz: decryptDynamoDbItem', () => {
  it('arbitrary items are rejected with typed errors that leak nothing', async () => {
    await assertTarget(decryptArbitraryItem, 400);
  });

  it('tampered encrypted items are rejected (and untampered ones decrypt) without leaks', async () => {
    await assertTarget(decryptTamperedItem(), 500);
  });
});
