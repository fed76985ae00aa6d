import { NumberValueImpl } from '@aws-sdk/util-dynamodb';
import { SerializationError } from '../../src/errors';
import { decryptItem, encryptItem } from '../../src/encryptor/native-item-encryptor';
import { TABLE, makeConfig } from '../support/item-encryptor-fixtures';

describe('encryptItem and decryptItem (native JavaScript items)', () => {
  it('round-trips a native item', async () => {
    const item = { pk: 'order-1', sk: 3, total: 12.5, tags: new Set(['a', 'b']), note: 'deliver to back door' };
    const encrypted = await encryptItem(item, makeConfig());
    expect(encrypted.note).toBeInstanceOf(Uint8Array);
    expect(await decryptItem(encrypted, makeConfig())).toEqual(item);
  });

  it.each([
    ['an unsafe integer', 12345678901234567890],
    ['NaN', Number.NaN],
  ])('refuses %s with a SerializationError naming the attribute and the table, not the value', async (_label, value) => {
    const failure = encryptItem({ pk: 'order-1', sk: 3, balance: value }, makeConfig());
    await expect(failure).rejects.toThrow(SerializationError);
    const error = (await failure.catch((caught: unknown) => caught)) as SerializationError;
    expect(error.message).toContain('attribute "balance"');
    expect(error.message).toContain(`table "${TABLE}"`);
    expect(error.message).not.toContain(String(value).slice(0, 8));
    expect(error.cause).toBeUndefined();
  });

  it('refuses a decrypted number JavaScript cannot hold with a SerializationError naming the attribute and the table, not the value', async () => {
    // Written by another client, or as a NumberValue: 22 significant digits in an encrypted attribute.
    const digits = '123456789012345678901.5';
    const stored = await encryptItem({ pk: 'order-1', sk: 3, balance: NumberValueImpl.from(digits) }, makeConfig(), { unmarshallOptions: { wrapNumbers: true } });
    const failure = decryptItem(stored, makeConfig());
    await expect(failure).rejects.toThrow(SerializationError);
    const error = (await failure.catch((caught: unknown) => caught)) as SerializationError;
    expect(error.message).toContain('attribute "balance"');
    expect(error.message).toContain(`table "${TABLE}"`);
    expect(error.message).toContain('wrapNumbers');
    expect(error.message).not.toContain('1234567890');
    expect(error.cause).toBeUndefined();
    // What the message says to do works.
    const decrypted = await decryptItem(stored, makeConfig(), { unmarshallOptions: { wrapNumbers: true } });
    expect(String(decrypted.balance)).toBe(digits);
  });
});
