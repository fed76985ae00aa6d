import { SerializationError } from '../../src/errors';
import { DocumentTranslation } from '../../src/encrypted/document-translation';

describe('DocumentTranslation', () => {
  it('refuses a value marshall cannot take with a SerializationError naming the attribute, never the value', () => {
    const translation = new DocumentTranslation(undefined);
    let caught: unknown;
    try {
      translation.toAttributeMap({ pk: 'order-1', balance: 12345678901234567890 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SerializationError);
    expect((caught as Error).message).toContain('attribute "balance"');
    expect((caught as Error).message).not.toContain('12345678');
    expect((caught as Error).cause).toBeUndefined();
  });
});
