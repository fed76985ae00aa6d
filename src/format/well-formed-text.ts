/**
 * Whether a JavaScript string can be encoded as UTF-8 without loss.
 *
 * A lone UTF-16 surrogate has no UTF-8 form: Node would silently replace it with U+FFFD, so
 * the value that comes back after decryption would differ from the one that was encrypted,
 * and the Python client cannot encode such a string at all. We reject it instead.
 */

// `String.prototype.isWellFormed` exists from Node 20 on, but TypeScript's ES2022 library
// does not declare it; the regular expression is the fallback for older runtimes.
interface StringWithWellFormedCheck {
  isWellFormed?: () => boolean;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const nativeCheckAvailable =
  typeof (String.prototype as unknown as StringWithWellFormedCheck).isWellFormed === 'function';

export function isWellFormedText(text: string): boolean {
  if (nativeCheckAvailable) {
    return (text as unknown as Required<StringWithWellFormedCheck>).isWellFormed();
  }
  return !LONE_SURROGATE.test(text);
}
