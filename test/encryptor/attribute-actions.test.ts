import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { InvalidArgumentError } from '../../src/errors';
import { ReservedAttributes } from '../../src/format/material-description-keys';

describe('AttributeActions', () => {
  describe('defaults and overrides', () => {
    it('defaults to ENCRYPT_AND_SIGN for every attribute when nothing is configured', () => {
      const actions = new AttributeActions();
      expect(actions.defaultAction).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      expect(actions.action('anything')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      expect(actions.attributeActions).toEqual({});
    });

    it('applies per-attribute overrides and the default to everything else', () => {
      const actions = new AttributeActions({
        defaultAction: CryptoAction.SIGN_ONLY,
        attributeActions: { secret: CryptoAction.ENCRYPT_AND_SIGN, free: CryptoAction.DO_NOTHING },
      });
      expect(actions.action('secret')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      expect(actions.action('free')).toBe(CryptoAction.DO_NOTHING);
      expect(actions.action('unlisted')).toBe(CryptoAction.SIGN_ONLY);
      expect(actions.defaultAction).toBe(CryptoAction.SIGN_ONLY);
    });

    it('returns the overrides as a fresh object that cannot change the actions', () => {
      const actions = new AttributeActions({ attributeActions: { a: CryptoAction.SIGN_ONLY } });
      const overrides = actions.attributeActions;
      expect(overrides).toEqual({ a: CryptoAction.SIGN_ONLY });
      overrides.a = CryptoAction.DO_NOTHING;
      overrides.b = CryptoAction.DO_NOTHING;
      expect(actions.action('a')).toBe(CryptoAction.SIGN_ONLY);
      expect(actions.action('b')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
    });

    it('is not affected by later changes to the options object it was built from', () => {
      const overrides: Record<string, CryptoAction> = { a: CryptoAction.SIGN_ONLY };
      const actions = new AttributeActions({ attributeActions: overrides });
      overrides.a = CryptoAction.DO_NOTHING;
      expect(actions.action('a')).toBe(CryptoAction.SIGN_ONLY);
    });
  });

  describe('takeNoActions', () => {
    it('is true only when the default and every override are DO_NOTHING', () => {
      expect(new AttributeActions({ defaultAction: CryptoAction.DO_NOTHING }).takeNoActions).toBe(true);
      expect(
        new AttributeActions({ defaultAction: CryptoAction.DO_NOTHING, attributeActions: { a: CryptoAction.DO_NOTHING } })
          .takeNoActions,
      ).toBe(true);
    });

    it('is false when the default or any override signs', () => {
      expect(new AttributeActions().takeNoActions).toBe(false);
      expect(new AttributeActions({ defaultAction: CryptoAction.SIGN_ONLY }).takeNoActions).toBe(false);
      expect(
        new AttributeActions({ defaultAction: CryptoAction.DO_NOTHING, attributeActions: { a: CryptoAction.SIGN_ONLY } })
          .takeNoActions,
      ).toBe(false);
      expect(
        new AttributeActions({ defaultAction: CryptoAction.DO_NOTHING, attributeActions: { a: CryptoAction.ENCRYPT_AND_SIGN } })
          .takeNoActions,
      ).toBe(false);
    });
  });

  describe('containsAction', () => {
    it('looks at the default and at the overrides', () => {
      const actions = new AttributeActions({
        defaultAction: CryptoAction.DO_NOTHING,
        attributeActions: { signed: CryptoAction.SIGN_ONLY },
      });
      expect(actions.containsAction(CryptoAction.DO_NOTHING)).toBe(true);
      expect(actions.containsAction(CryptoAction.SIGN_ONLY)).toBe(true);
      expect(actions.containsAction(CryptoAction.ENCRYPT_AND_SIGN)).toBe(false);
    });

    it('sees an action used only by the default', () => {
      const actions = new AttributeActions({ attributeActions: { a: CryptoAction.SIGN_ONLY } });
      expect(actions.containsAction(CryptoAction.ENCRYPT_AND_SIGN)).toBe(true);
      expect(actions.containsAction(CryptoAction.DO_NOTHING)).toBe(false);
    });
  });

  describe('setIndexKeys', () => {
    it('lowers an ENCRYPT_AND_SIGN default to SIGN_ONLY for the key names only, and returns the same instance', () => {
      const actions = new AttributeActions();
      const returned = actions.setIndexKeys('pk', 'sk');
      expect(returned).toBe(actions);
      expect(actions.action('pk')).toBe(CryptoAction.SIGN_ONLY);
      expect(actions.action('sk')).toBe(CryptoAction.SIGN_ONLY);
      expect(actions.action('other')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      expect(actions.attributeActions).toEqual({ pk: CryptoAction.SIGN_ONLY, sk: CryptoAction.SIGN_ONLY });
    });

    it('leaves a DO_NOTHING key (explicit or by default) as DO_NOTHING', () => {
      const explicit = new AttributeActions({ attributeActions: { pk: CryptoAction.DO_NOTHING } }).setIndexKeys('pk');
      expect(explicit.action('pk')).toBe(CryptoAction.DO_NOTHING);
      const byDefault = new AttributeActions({ defaultAction: CryptoAction.DO_NOTHING }).setIndexKeys('pk');
      expect(byDefault.action('pk')).toBe(CryptoAction.DO_NOTHING);
      expect(byDefault.takeNoActions).toBe(true);
    });

    it('keeps an explicit SIGN_ONLY and a SIGN_ONLY default unchanged', () => {
      const explicit = new AttributeActions({ attributeActions: { pk: CryptoAction.SIGN_ONLY } }).setIndexKeys('pk');
      expect(explicit.action('pk')).toBe(CryptoAction.SIGN_ONLY);
      const byDefault = new AttributeActions({ defaultAction: CryptoAction.SIGN_ONLY }).setIndexKeys('pk');
      expect(byDefault.action('pk')).toBe(CryptoAction.SIGN_ONLY);
    });

    it('refuses a key with an explicit ENCRYPT_AND_SIGN override, naming it', () => {
      const actions = new AttributeActions({ attributeActions: { pk: CryptoAction.ENCRYPT_AND_SIGN } });
      let caught: unknown;
      try {
        actions.setIndexKeys('pk');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect((caught as InvalidArgumentError).attributeName).toBe('pk');
      expect((caught as Error).message).toContain('"pk"');
      expect(actions.action('pk')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
    });
  });

  describe('setIndexKeys atomicity', () => {
    it('changes nothing when one of the names is refused', () => {
      const actions = new AttributeActions({ attributeActions: { sk: CryptoAction.ENCRYPT_AND_SIGN } });
      expect(() => actions.setIndexKeys('pk', 'sk')).toThrow(InvalidArgumentError);
      expect(actions.action('pk')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      expect(actions.attributeActions).toEqual({ sk: CryptoAction.ENCRYPT_AND_SIGN });
    });
  });

  describe('validation', () => {
    it.each(Object.values(ReservedAttributes))('refuses an action for the reserved name %s', (name) => {
      expect(() => new AttributeActions({ attributeActions: { [name]: CryptoAction.SIGN_ONLY } })).toThrow(InvalidArgumentError);
      expect(() => new AttributeActions({ attributeActions: { [name]: CryptoAction.DO_NOTHING } })).toThrow(name);
    });

    it.each([3, -1, 1.5, 'ENCRYPT_AND_SIGN', Number.NaN])('refuses the invalid default action %p', (value) => {
      expect(() => new AttributeActions({ defaultAction: value as unknown as CryptoAction })).toThrow(InvalidArgumentError);
    });

    it.each([3, 'SIGN_ONLY', true])('refuses the invalid override %p, naming the attribute', (value) => {
      expect(() => new AttributeActions({ attributeActions: { field: value as unknown as CryptoAction } })).toThrow(
        /attribute "field"/,
      );
    });

    it('refuses a null default instead of reading it as the ENCRYPT_AND_SIGN default', () => {
      expect(() => new AttributeActions({ defaultAction: null as unknown as CryptoAction })).toThrow(InvalidArgumentError);
    });

    it('treats an explicitly undefined default as the ENCRYPT_AND_SIGN default', () => {
      expect(new AttributeActions({ defaultAction: undefined }).defaultAction).toBe(CryptoAction.ENCRYPT_AND_SIGN);
    });
  });

  describe('copy', () => {
    it('copies the default and the overrides', () => {
      const original = new AttributeActions({
        defaultAction: CryptoAction.SIGN_ONLY,
        attributeActions: { a: CryptoAction.DO_NOTHING, b: CryptoAction.ENCRYPT_AND_SIGN },
      });
      const copy = original.copy();
      expect(copy).not.toBe(original);
      expect(copy.defaultAction).toBe(CryptoAction.SIGN_ONLY);
      expect(copy.attributeActions).toEqual(original.attributeActions);
    });

    it('is independent: setIndexKeys on the copy does not change the original, nor the reverse', () => {
      const original = new AttributeActions();
      const copy = original.copy();
      copy.setIndexKeys('pk');
      expect(copy.action('pk')).toBe(CryptoAction.SIGN_ONLY);
      expect(original.action('pk')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      original.setIndexKeys('sk');
      expect(copy.action('sk')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
    });
  });

  it('names the actions in toString', () => {
    const text = new AttributeActions({ attributeActions: { a: CryptoAction.DO_NOTHING } }).toString();
    expect(text).toContain('ENCRYPT_AND_SIGN');
    expect(text).toContain('a: DO_NOTHING');
  });
});
