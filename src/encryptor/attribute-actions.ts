import { InvalidArgumentError } from '../errors';
import { ReservedAttributes } from '../format/material-description-keys';
import { CryptoAction, cryptoActionName, isCryptoAction } from './crypto-action';

export interface AttributeActionsOptions {
  /**
   * The action for every attribute without an entry in `attributeActions`, including attributes
   * added to items later: a new attribute under an ENCRYPT_AND_SIGN default is encrypted.
   * @default CryptoAction.ENCRYPT_AND_SIGN
   */
  readonly defaultAction?: CryptoAction;
  /**
   * Per-attribute overrides of the default.
   * @default {}
   */
  readonly attributeActions?: Readonly<Record<string, CryptoAction>>;
}

const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.values(ReservedAttributes));

/**
 * Which action applies to which attribute (the Python client's `AttributeActions`).
 *
 * `setIndexKeys` changes the instance in place, as in the Python client, so that code written
 * for it (`actions.set_index_keys(...)` then use `actions`) keeps its meaning.
 */
export class AttributeActions {
  private defaultActionValue: CryptoAction;
  private readonly overrides: Map<string, CryptoAction>;

  constructor(options: AttributeActionsOptions = {}) {
    // Only an absent default means ENCRYPT_AND_SIGN; null and other values are mistakes.
    const defaultAction = options.defaultAction === undefined ? CryptoAction.ENCRYPT_AND_SIGN : options.defaultAction;
    if (!isCryptoAction(defaultAction)) {
      throw new InvalidArgumentError(`defaultAction must be a CryptoAction, got ${String(defaultAction)}`);
    }
    this.defaultActionValue = defaultAction;
    this.overrides = new Map();
    for (const [name, action] of Object.entries(options.attributeActions ?? {})) {
      if (RESERVED_NAMES.has(name)) {
        throw new InvalidArgumentError('reserved attribute names cannot be given an action', { attributeName: name });
      }
      if (!isCryptoAction(action)) {
        throw new InvalidArgumentError(`the action must be a CryptoAction, got ${String(action)}`, { attributeName: name });
      }
      this.overrides.set(name, action);
    }
  }

  get defaultAction(): CryptoAction {
    return this.defaultActionValue;
  }

  /** The overrides, as a fresh object (changing it does not change these actions). */
  get attributeActions(): Record<string, CryptoAction> {
    return Object.fromEntries(this.overrides);
  }

  action(attributeName: string): CryptoAction {
    return this.overrides.get(attributeName) ?? this.defaultActionValue;
  }

  /** True when nothing would be encrypted or signed: items then pass through unchanged. */
  get takeNoActions(): boolean {
    if (this.defaultActionValue !== CryptoAction.DO_NOTHING) return false;
    for (const action of this.overrides.values()) if (action !== CryptoAction.DO_NOTHING) return false;
    return true;
  }

  /** True when some attribute (or the default) uses `action`. */
  containsAction(action: CryptoAction): boolean {
    if (this.defaultActionValue === action) return true;
    for (const value of this.overrides.values()) if (value === action) return true;
    return false;
  }

  /**
   * Marks index key attributes as sign-only: keys must stay readable for DynamoDB to index them,
   * and must stay signed so an item cannot be moved to another key. A key left DO_NOTHING stays
   * DO_NOTHING (the reference clients allow it); an explicit ENCRYPT_AND_SIGN override is a
   * contradiction and is refused rather than silently changed.
   */
  setIndexKeys(...keyNames: string[]): this {
    // Every name is checked before any is changed, so a refused call changes nothing.
    for (const name of keyNames) {
      if (this.overrides.get(name) === CryptoAction.ENCRYPT_AND_SIGN) {
        throw new InvalidArgumentError(
          'an index key attribute cannot be ENCRYPT_AND_SIGN: DynamoDB must read it; use SIGN_ONLY',
          { attributeName: name },
        );
      }
    }
    for (const name of keyNames) {
      if (!this.overrides.has(name) && this.defaultActionValue === CryptoAction.ENCRYPT_AND_SIGN) {
        this.overrides.set(name, CryptoAction.SIGN_ONLY);
      }
    }
    return this;
  }

  copy(): AttributeActions {
    return new AttributeActions({ defaultAction: this.defaultActionValue, attributeActions: this.attributeActions });
  }

  toString(): string {
    const overrides = [...this.overrides].map(([name, action]) => `${name}: ${cryptoActionName(action)}`);
    return `AttributeActions(default: ${cryptoActionName(this.defaultActionValue)}; ${overrides.join(', ')})`;
  }
}
