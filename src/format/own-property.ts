/**
 * Stores `value` under `key` as an own, enumerable property.
 *
 * Plain assignment of the key `__proto__` would replace the object's prototype instead of
 * creating an attribute (DynamoDB allows that map key), so that one key goes through
 * `Object.defineProperty`. Other keys keep the fast assignment path.
 */
export function setOwnProperty<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
