/**
 * Issue #8, hostile bytes to the two binary parsers of the format: the material description
 * (`*amzn-ddb-map-desc*`, read before the signature is checked) and the canonical attribute
 * deserializer (decrypted plaintext). Arbitrary bytes, bytes behind valid headers, mutated valid
 * encodings, nesting past the limit and counts that lie. What parses must re-serialize.
 */
import { assertTarget } from './fuzz-oracle';
import { attributeDeserializer, materialDescriptionParser } from './fuzz-targets';

describe('fuzz: binary format parsers', () => {
  it('deserializeMaterialDescription: typed errors only, bounded time, no leaks', async () => {
    await assertTarget(materialDescriptionParser, 2000);
  });

  it('deserializeAttribute: typed errors only, bounded time, no leaks, results re-serialize', async () => {
    await assertTarget(attributeDeserializer, 2000);
  });
});
