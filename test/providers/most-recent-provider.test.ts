import { randomBytes } from 'node:crypto';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { InvalidArgumentError, InvalidMaterialDescriptionError, SignatureVerificationError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { MaterialDescriptionKeys } from '../../src/format/material-description-keys';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { materialVersionItem, providerForMaterialVersion } from '../../src/providers/meta-store-material';
import { GRACE_PERIOD_MS, MostRecentProvider, type MostRecentProviderOptions } from '../../src/providers/most-recent-provider';
import { NoKnownVersionError, VersionedMaterialsProvider, type ProviderStore } from '../../src/providers/provider-store';
import { descriptionOf, staticProvider } from '../support/item-encryptor-fixtures';

const MATERIAL = 'orders-key';
const TTL = 10_000;
const DATA_ITEM: DynamoDbItem = { id: { S: 'order-1' }, amount: { N: '12' } };

/** A promise the test resolves by hand, to hold store calls open. */
function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

/** Lets every already-settled promise run its callbacks. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** An in-memory ProviderStore that counts its calls; `gate` holds every call until released. */
class FakeStore implements ProviderStore {
  readonly versions: VersionedMaterialsProvider[] = [];
  readonly calls = { maxVersion: 0, providerByVersion: [] as number[], providerNewest: 0, newProvider: 0 };
  gate?: Promise<void>;
  failure?: Error;

  /** Adds a version without counting it as a call (another writer rotating the key). */
  rotate(): VersionedMaterialsProvider {
    const version = this.versions.length;
    const item = materialVersionItem(MATERIAL, version, randomBytes(32), randomBytes(32));
    const provider = new VersionedMaterialsProvider(MATERIAL, version, providerForMaterialVersion(MATERIAL, version, item));
    this.versions.push(provider);
    return provider;
  }

  async provider(materialName: string, version?: number): Promise<VersionedMaterialsProvider> {
    if (version === undefined) this.calls.providerNewest += 1;
    else this.calls.providerByVersion.push(version);
    await this.wait();
    if (version === undefined) return this.versions[this.versions.length - 1] ?? this.rotate();
    const provider = this.versions[version];
    if (provider === undefined) throw new NoKnownVersionError(`material "${materialName}" has no version ${version}`);
    return provider;
  }

  async maxVersion(materialName: string): Promise<number> {
    this.calls.maxVersion += 1;
    await this.wait();
    if (this.versions.length === 0) throw new NoKnownVersionError(`material "${materialName}" has no version`);
    return this.versions.length - 1;
  }

  async newProvider(): Promise<VersionedMaterialsProvider> {
    this.calls.newProvider += 1;
    await this.wait();
    return this.rotate();
  }

  private async wait(): Promise<void> {
    if (this.gate !== undefined) await this.gate;
    if (this.failure !== undefined) throw this.failure;
  }
}

function setup(options: Partial<MostRecentProviderOptions> = {}) {
  const store = new FakeStore();
  const clock = { now: 1_000_000 };
  const provider = new MostRecentProvider({
    providerStore: store,
    materialName: MATERIAL,
    versionTtlMs: TTL,
    clock: () => clock.now,
    ...options,
  });
  return { store, clock, provider };
}

function dataConfig(materialsProvider: CryptographicMaterialsProvider): CryptoConfig {
  return { materialsProvider, encryptionContext: { tableName: 'orders', partitionKeyName: 'id' }, attributeActions: new AttributeActions().setIndexKeys('id') };
}

/** Encrypts a data item through `provider` and returns the meta-id it was written with. */
async function writtenWith(provider: CryptographicMaterialsProvider): Promise<string> {
  const item = await encryptDynamoDbItem(DATA_ITEM, dataConfig(provider));
  return descriptionOf(item)[MaterialDescriptionKeys.META_ID];
}

/** A data item written directly with one version of the store. */
const itemOfVersion = (store: FakeStore, version: number) => encryptDynamoDbItem(DATA_ITEM, dataConfig(store.versions[version]));

describe('MostRecentProvider options', () => {
  const store = new FakeStore();
  it.each([
    ['no providerStore', { providerStore: undefined }, /providerStore/],
    ['an empty materialName', { materialName: '' }, /materialName/],
    ['a materialName with #', { materialName: 'a#b' }, /without "#"/],
    ['a negative TTL', { versionTtlMs: -1 }, /versionTtlMs .*>= 0/],
    ['an infinite TTL', { versionTtlMs: Infinity }, /versionTtlMs .*finite/],
    ['a TTL that is not a number', { versionTtlMs: '100' }, /versionTtlMs/],
    ['cacheSize 0', { cacheSize: 0 }, /cacheSize must be an integer >= 1/],
    ['a fractional cacheSize', { cacheSize: 1.5 }, /cacheSize/],
    ['a clock that is not a function', { clock: 5 }, /clock/],
  ])('refuses %s', (_label, overrides, message) => {
    const options = { providerStore: store, materialName: MATERIAL, versionTtlMs: TTL, ...overrides } as unknown as MostRecentProviderOptions;
    expect(() => new MostRecentProvider(options)).toThrow(InvalidArgumentError);
    expect(() => new MostRecentProvider(options)).toThrow(message);
  });

  it('accepts a TTL of 0: every encryption reads the newest version again', async () => {
    const { store, clock, provider } = setup({ versionTtlMs: 0 });
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#0`);
    await writtenWith(provider);
    clock.now += 1;
    await writtenWith(provider);
    expect(store.calls.maxVersion).toBe(3);
  });

  it('works with the default cache size and clock', async () => {
    const provider = new MostRecentProvider({ providerStore: new FakeStore(), materialName: MATERIAL, versionTtlMs: TTL });
    const item = await encryptDynamoDbItem(DATA_ITEM, dataConfig(provider));
    expect(descriptionOf(item)[MaterialDescriptionKeys.META_ID]).toBe(`${MATERIAL}#0`);
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
  });
});

describe('MostRecentProvider encryption', () => {
  it('creates version 0 through the store when the material has none, then uses it without further reads', async () => {
    const { store, provider } = setup();
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#0`);
    expect(store.versions).toHaveLength(1);
    expect(store.calls).toMatchObject({ maxVersion: 1, providerNewest: 1 });
    await writtenWith(provider);
    await writtenWith(provider);
    expect(store.calls).toMatchObject({ maxVersion: 1, providerNewest: 1, providerByVersion: [] });
    // Version 0 was cached for decryption as it was created.
    const item = await encryptDynamoDbItem(DATA_ITEM, dataConfig(provider));
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    expect(store.calls.providerByVersion).toEqual([]);
  });

  it('uses the newest version, and re-reads the max version exactly once when the TTL expires', async () => {
    const { store, clock, provider } = setup();
    store.rotate();
    store.rotate();
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#1`);
    expect(store.calls.maxVersion).toBe(1);
    expect(store.calls.providerByVersion).toEqual([1]);

    store.rotate(); // version 2, written by someone else
    clock.now += TTL - 1;
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#1`);
    expect(store.calls.maxVersion).toBe(1);

    clock.now += 1;
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#2`);
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#2`);
    expect(store.calls.maxVersion).toBe(2);
    expect(store.calls.providerByVersion).toEqual([1, 2]);
    expect(store.calls.newProvider).toBe(0);
  });

  it('re-reads an unchanged newest version after the TTL, so its load is re-authorized', async () => {
    const { store, clock, provider } = setup();
    store.rotate();
    await writtenWith(provider);
    clock.now += TTL;
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#0`);
    expect(store.calls.maxVersion).toBe(2);
    expect(store.calls.providerByVersion).toEqual([0, 0]);
  });

  it('collapses many callers arriving after expiry into one store read', async () => {
    const { store, clock, provider } = setup();
    store.rotate();
    await writtenWith(provider);
    store.rotate();
    clock.now += TTL + GRACE_PERIOD_MS; // past the grace window: everyone waits for the refresh
    const gate = deferred();
    store.gate = gate.promise;
    const results = Array.from({ length: 25 }, () => writtenWith(provider));
    await settle();
    expect(store.calls.maxVersion).toBe(2);
    gate.release();
    await expect(Promise.all(results)).resolves.toEqual(Array(25).fill(`${MATERIAL}#1`));
    expect(store.calls.maxVersion).toBe(2);
    expect(store.calls.providerByVersion).toEqual([0, 1]);
  });

  it('in the grace window, only the refreshing caller waits; the others keep the cached version', async () => {
    const { store, clock, provider } = setup();
    store.rotate();
    await writtenWith(provider);
    store.rotate();
    clock.now += TTL + GRACE_PERIOD_MS - 100;
    const gate = deferred();
    store.gate = gate.promise;

    let refresherDone = false;
    const refresher = writtenWith(provider).finally(() => (refresherDone = true));
    await settle();
    // The refresh is held open by the store; other callers are not.
    let othersDone = false;
    const others = Promise.all([writtenWith(provider), writtenWith(provider)]).finally(() => (othersDone = true));
    await settle();
    expect(othersDone).toBe(true);
    await expect(others).resolves.toEqual([`${MATERIAL}#0`, `${MATERIAL}#0`]);
    expect(refresherDone).toBe(false);

    // Past the grace window, callers join the running refresh instead.
    clock.now += 100;
    let lateDone = false;
    const late = writtenWith(provider).finally(() => (lateDone = true));
    await settle();
    expect(lateDone).toBe(false);

    gate.release();
    await expect(refresher).resolves.toBe(`${MATERIAL}#1`);
    await expect(late).resolves.toBe(`${MATERIAL}#1`);
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#1`);
    expect(store.calls.maxVersion).toBe(2);
  });

  it('starts a refresh in the grace window when none is running', async () => {
    const { store, clock, provider } = setup();
    store.rotate();
    await writtenWith(provider);
    store.rotate();
    clock.now += TTL + 1;
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#1`);
    expect(store.calls.maxVersion).toBe(2);
  });

  it('passes store errors through as they are, keeps nothing broken, and tries again on the next call', async () => {
    const { store, provider } = setup();
    store.rotate();
    store.failure = new SignatureVerificationError('the item signature is not valid', { tableName: 'metastore' });
    await expect(writtenWith(provider)).rejects.toThrow(SignatureVerificationError);
    await expect(writtenWith(provider)).rejects.toThrow(/table "metastore"/);
    expect(store.calls.maxVersion).toBe(2);
    store.failure = undefined;
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#0`);
  });

  it('after a failed refresh keeps failing callers past the grace window rather than using a stale version forever', async () => {
    const { store, clock, provider } = setup();
    store.rotate();
    await writtenWith(provider);
    clock.now += TTL + GRACE_PERIOD_MS;
    store.failure = new Error('throttled');
    await expect(writtenWith(provider)).rejects.toThrow('throttled');
    await expect(writtenWith(provider)).rejects.toThrow('throttled');
  });
});

describe('MostRecentProvider decryption', () => {
  it('decrypts each item with the version it names, caching providers per version', async () => {
    const { store, provider } = setup();
    store.rotate();
    store.rotate();
    const [v0, v1] = [await itemOfVersion(store, 0), await itemOfVersion(store, 1)];
    for (const item of [v0, v1, v0, v1]) {
      await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    }
    expect(store.calls.providerByVersion).toEqual([0, 1]);
    expect(store.calls.maxVersion).toBe(0);
  });

  it('collapses concurrent misses for one version into one store read', async () => {
    const { store, provider } = setup();
    store.rotate();
    const item = await itemOfVersion(store, 0);
    const gate = deferred();
    store.gate = gate.promise;
    const results = Array.from({ length: 20 }, () => decryptDynamoDbItem(item, dataConfig(provider)));
    await settle();
    gate.release();
    await expect(Promise.all(results)).resolves.toEqual(Array(20).fill(DATA_ITEM));
    expect(store.calls.providerByVersion).toEqual([0]);
  });

  it('keeps at most cacheSize versions, evicting the least recently used', async () => {
    const { store, provider } = setup({ cacheSize: 2 });
    for (let version = 0; version < 3; version += 1) store.rotate();
    const items = await Promise.all([0, 1, 2].map((version) => itemOfVersion(store, version)));
    const decrypt = (version: number) => decryptDynamoDbItem(items[version], dataConfig(provider));
    await decrypt(0);
    await decrypt(1);
    await decrypt(0); // 0 is now the most recently used, 1 the oldest
    await decrypt(2); // evicts 1
    expect(store.calls.providerByVersion).toEqual([0, 1, 2]);
    await decrypt(0);
    await decrypt(2);
    expect(store.calls.providerByVersion).toEqual([0, 1, 2]);
    await decrypt(1);
    expect(store.calls.providerByVersion).toEqual([0, 1, 2, 1]);
  });

  it('expires cached versions after the TTL, however often they are used', async () => {
    const { store, clock, provider } = setup();
    store.rotate();
    const item = await itemOfVersion(store, 0);
    await decryptDynamoDbItem(item, dataConfig(provider));
    clock.now += TTL - 1;
    await decryptDynamoDbItem(item, dataConfig(provider));
    expect(store.calls.providerByVersion).toEqual([0]);
    clock.now += 1;
    await decryptDynamoDbItem(item, dataConfig(provider));
    expect(store.calls.providerByVersion).toEqual([0, 0]);
  });

  it('passes through NoKnownVersionError for a version the store lacks, and never creates one', async () => {
    const { store, provider } = setup();
    store.rotate();
    store.rotate();
    const item = await itemOfVersion(store, 1);
    store.versions.pop(); // version 1 is gone from the store
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).rejects.toThrow(NoKnownVersionError);
    expect(store.calls.newProvider).toBe(0);
    expect(store.versions).toHaveLength(1);
  });

  it('refuses an item not written by a MetaStore provider', async () => {
    const { provider } = setup();
    const item = await encryptDynamoDbItem(DATA_ITEM, dataConfig(staticProvider()));
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).rejects.toThrow(InvalidMaterialDescriptionError);
  });
});

describe('MostRecentProvider.refresh', () => {
  it('drops the newest version and every cached version', async () => {
    const { store, provider } = setup();
    store.rotate();
    const item = await itemOfVersion(store, 0);
    await writtenWith(provider);
    await decryptDynamoDbItem(item, dataConfig(provider));
    expect(store.calls).toMatchObject({ maxVersion: 1, providerByVersion: [0] });
    store.rotate();
    provider.refresh();
    await expect(writtenWith(provider)).resolves.toBe(`${MATERIAL}#1`);
    await decryptDynamoDbItem(item, dataConfig(provider));
    expect(store.calls).toMatchObject({ maxVersion: 2, providerByVersion: [0, 1, 0] });
  });

  it('does not let a load started before refresh() refill the cache', async () => {
    const { store, provider } = setup();
    store.rotate();
    const item = await itemOfVersion(store, 0);
    const gate = deferred();
    store.gate = gate.promise;
    const before = decryptDynamoDbItem(item, dataConfig(provider));
    await settle();
    provider.refresh();
    gate.release();
    await expect(before).resolves.toEqual(DATA_ITEM);
    store.gate = undefined;
    await decryptDynamoDbItem(item, dataConfig(provider));
    expect(store.calls.providerByVersion).toEqual([0, 0]);
  });
});
