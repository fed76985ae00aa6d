import type { EncryptionContext } from '../encryptor/encryption-context';
import { InvalidArgumentError } from '../errors';
import type { DecryptionMaterials, EncryptionMaterials } from '../materials/cryptographic-materials';
import type { CryptographicMaterialsProvider } from './cryptographic-materials-provider';
import { LruCache } from './lru-cache';
import { versionFromDescription } from './meta-store-material';
import { NoKnownVersionError, assertMaterialName, type ProviderStore, type VersionedMaterialsProvider } from './provider-store';
import { SingleFlight } from './single-flight';

export interface MostRecentProviderOptions {
  /** Where the versions live, usually a `MetaStore`. */
  readonly providerStore: ProviderStore;
  /** The material to use; `#` is not allowed (data items name versions as `NAME#VERSION`). */
  readonly materialName: string;
  /**
   * How long a version's provider is used before the store is asked again: for the newest
   * version (to pick up rotations) and for every cached version (to re-authorize its load).
   */
  readonly versionTtlMs: number;
  /**
   * How many versions' providers to keep for decryption.
   * @default 1000
   */
  readonly cacheSize?: number;
  /**
   * Milliseconds now; injected by tests.
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** After the TTL, how long other callers keep encrypting with the old version while one refreshes (the reference's 500 ms). */
export const GRACE_PERIOD_MS = 500;
const DEFAULT_CACHE_SIZE = 1000;

/**
 * Encrypts with the newest version of a material and decrypts with whichever version an item
 * names (the Python client's `CachingMostRecentProvider`, FORMAT.md §8.4).
 *
 * The newest version is cached for `versionTtlMs`; then one caller re-reads the max version
 * while, for `GRACE_PERIOD_MS`, the others keep the cached one; after that they wait for the
 * same read. Concurrent reads of one thing are always one store call. Unlike the reference
 * clients, cached versions for decryption expire too, so a revoked permission on the store's
 * meta provider takes effect within the TTL.
 */
export class MostRecentProvider implements CryptographicMaterialsProvider {
  private readonly store: ProviderStore;
  private readonly materialName: string;
  private readonly versionTtlMs: number;
  private readonly clock: () => number;
  private readonly versions: LruCache<number, VersionedMaterialsProvider>;
  private readonly versionLoads = new SingleFlight<number, LoadedVersion>();
  private readonly newestLoad = new SingleFlight<'newest', VersionedMaterialsProvider>();
  private newest?: LoadedVersion;
  // Bumped by refresh(): loads started before it must not refill the caches it cleared.
  private generation = 0;

  constructor(options: MostRecentProviderOptions) {
    const store = options?.providerStore as Partial<ProviderStore> | undefined;
    if (typeof store?.provider !== 'function' || typeof store.maxVersion !== 'function' || typeof store.newProvider !== 'function') {
      throw new InvalidArgumentError('MostRecentProvider needs a providerStore (a MetaStore)');
    }
    assertMaterialName(options.materialName);
    const { versionTtlMs, cacheSize = DEFAULT_CACHE_SIZE, clock = Date.now } = options;
    if (typeof versionTtlMs !== 'number' || !Number.isFinite(versionTtlMs) || versionTtlMs < 0) {
      throw new InvalidArgumentError(`versionTtlMs must be a finite number >= 0, got ${String(versionTtlMs)}`);
    }
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) {
      throw new InvalidArgumentError(`cacheSize must be an integer >= 1, got ${String(cacheSize)}`);
    }
    if (typeof clock !== 'function') throw new InvalidArgumentError('clock must be a function returning milliseconds');
    this.store = options.providerStore;
    this.materialName = options.materialName;
    this.versionTtlMs = versionTtlMs;
    this.clock = clock;
    this.versions = new LruCache(cacheSize, versionTtlMs, clock);
  }

  async encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials> {
    return (await this.newestProvider()).encryptionMaterials(context);
  }

  async decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials> {
    const version = versionFromDescription(context.materialDescription ?? {}, context.tableName);
    return (await this.versionProvider(version)).decryptionMaterials(context);
  }

  /** Forgets every cached version: the next calls read the store again. */
  refresh(): void {
    this.generation += 1;
    this.newest = undefined;
    this.versions.clear();
    this.versionLoads.clear();
    this.newestLoad.clear();
  }

  private async newestProvider(): Promise<VersionedMaterialsProvider> {
    const newest = this.newest;
    if (newest !== undefined) {
      const age = this.clock() - newest.loadedAt;
      if (age < this.versionTtlMs) return newest.provider;
      // In the grace window only the caller that started the refresh waits for it.
      if (age < this.versionTtlMs + GRACE_PERIOD_MS && this.newestLoad.isRunning('newest')) return newest.provider;
    }
    return this.newestLoad.run('newest', () => this.loadNewest());
  }

  private async loadNewest(): Promise<VersionedMaterialsProvider> {
    const generation = this.generation;
    let loaded: LoadedVersion;
    try {
      loaded = await this.loadedVersion(await this.store.maxVersion(this.materialName));
    } catch (error) {
      if (!(error instanceof NoKnownVersionError)) throw error;
      // Creates version 0, or returns whichever version a concurrent writer created meanwhile.
      const provider = await this.store.provider(this.materialName);
      loaded = { provider, loadedAt: this.clock() };
      if (generation === this.generation) this.versions.set(provider.version, provider);
    }
    // The newest version expires with its load, not with this refresh: a version reused from the
    // decryption cache must still be re-read from the store within one TTL of its last read.
    if (generation === this.generation) this.newest = loaded;
    return loaded.provider;
  }

  private async versionProvider(version: number): Promise<VersionedMaterialsProvider> {
    return (await this.loadedVersion(version)).provider;
  }

  private async loadedVersion(version: number): Promise<LoadedVersion> {
    const cached = this.versions.entry(version);
    if (cached !== undefined) return { provider: cached.value, loadedAt: cached.storedAt };
    const generation = this.generation;
    return this.versionLoads.run(version, async () => {
      const provider = await this.store.provider(this.materialName, version);
      const loaded = { provider, loadedAt: this.clock() };
      if (generation === this.generation) this.versions.set(version, provider);
      return loaded;
    });
  }
}

interface LoadedVersion {
  readonly provider: VersionedMaterialsProvider;
  /** When the store last handed this version out. */
  readonly loadedAt: number;
}
