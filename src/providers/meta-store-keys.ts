/**
 * The MetaStore table's key attribute names (FORMAT.md §8.4), fixed by the reference clients.
 * A module of its own so the CDK construct can create the table without importing crypto code.
 */
export const META_STORE_PARTITION_KEY = 'N';
export const META_STORE_SORT_KEY = 'V';
