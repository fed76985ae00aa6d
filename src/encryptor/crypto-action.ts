/**
 * What happens to one attribute. The numeric values follow the Python client, where a larger
 * value is a stronger protection (`DO_NOTHING < SIGN_ONLY < ENCRYPT_AND_SIGN`).
 */
export enum CryptoAction {
  /** Neither encrypted nor signed: may be changed, added or removed freely. */
  DO_NOTHING = 0,
  /** Stored as plaintext, covered by the item signature. */
  SIGN_ONLY = 1,
  /** Replaced by ciphertext and covered by the item signature. */
  ENCRYPT_AND_SIGN = 2,
}

const ACTION_NAMES: Readonly<Record<CryptoAction, string>> = {
  [CryptoAction.DO_NOTHING]: 'DO_NOTHING',
  [CryptoAction.SIGN_ONLY]: 'SIGN_ONLY',
  [CryptoAction.ENCRYPT_AND_SIGN]: 'ENCRYPT_AND_SIGN',
};

export function cryptoActionName(action: CryptoAction): string {
  return ACTION_NAMES[action];
}

export function isCryptoAction(value: unknown): value is CryptoAction {
  return value === CryptoAction.DO_NOTHING || value === CryptoAction.SIGN_ONLY || value === CryptoAction.ENCRYPT_AND_SIGN;
}
