import type { Select } from '@aws-sdk/client-dynamodb';
import type { AttributeActions } from '../encryptor/attribute-actions';
import { CryptoAction } from '../encryptor/crypto-action';
import { UnsupportedOperationError } from '../errors';
import { ReservedAttributes } from '../format/material-description-keys';
import type { Projection } from './projection';
import type { SecondaryIndex, TableIndex, TableInfo } from './table-info';

/** How a query or scan is sent so that every item it returns can be verified. */
export interface IndexRead {
  readonly select: Select | undefined;
  /**
   * What the caller would have received from the index itself, applied on the client after
   * verification, when whole items are fetched in its place.
   */
  readonly projection?: Projection;
}

/**
 * An item verifies only with its signature, its material description and every attribute the
 * signature covers. An index projecting ALL returns all of them; a local secondary index returns
 * them when asked for ALL_ATTRIBUTES (DynamoDB fetches the rest from the table); an INCLUDE
 * projection returns them only when it names them all, which is knowable only when the default
 * action is DO_NOTHING (otherwise every attribute an item may carry is signed). Anything else is
 * refused: it would fail verification on every item.
 */
export function indexRead(table: TableInfo, actions: AttributeActions, indexName: string | undefined, select: Select | undefined): IndexRead {
  // The projection is applied on the client, after verification.
  const asAsked: IndexRead = { select: select === 'SPECIFIC_ATTRIBUTES' ? undefined : select };
  if (indexName === undefined || actions.takeNoActions || select === 'COUNT') return asAsked;
  const index = table.secondaryIndex(indexName);
  if (index === undefined || index.projectionType === 'ALL') return asAsked; // DynamoDB itself reports an unknown index
  if (index.local === true) {
    const asProjected = select === undefined || select === 'ALL_PROJECTED_ATTRIBUTES';
    return { select: 'ALL_ATTRIBUTES', projection: asProjected ? projectionOfIndex(table, index) : undefined };
  }
  const missing = index.projectionType === 'INCLUDE' ? unprojectedSignedAttributes(table, index, actions) : undefined;
  if (missing !== undefined && missing.length === 0) return asAsked;
  throw new UnsupportedOperationError(`${refusalReason(index, missing)}: ${GLOBAL_INDEX_ADVICE}`, {
    tableName: table.name,
    attributeName: missing?.[0],
  });
}

const GLOBAL_INDEX_ADVICE =
  'project ALL into the index, or read the keys from the index with the plain DynamoDB client and then get the items ' +
  'through this helper (getItem / batchGetItem); Select COUNT works on any index';

function refusalReason(index: SecondaryIndex, missing: readonly string[] | undefined): string {
  const reserved = `${ReservedAttributes.SIGNATURE} / ${ReservedAttributes.MATERIAL_DESCRIPTION}`;
  if (index.projectionType !== 'INCLUDE') {
    return `index "${index.name}" projects ${index.projectionType}, so its items lack ${reserved} and the attributes the signature covers`;
  }
  if (missing === undefined) {
    return (
      `index "${index.name}" projects INCLUDE, and it cannot be known to include ${reserved} and every signed attribute ` +
      '(the default action signs any attribute an item may carry, or the TableInfo lacks the NonKeyAttributes)'
    );
  }
  return `index "${index.name}" projects INCLUDE without ${missing.join(', ')}, which verifying its items needs`;
}

/**
 * The signed attributes (and reserved ones) an INCLUDE projection leaves out; undefined when the
 * signed attributes cannot be listed.
 */
function unprojectedSignedAttributes(table: TableInfo, index: SecondaryIndex, actions: AttributeActions): string[] | undefined {
  if (actions.defaultAction !== CryptoAction.DO_NOTHING || index.nonKeyAttributes === undefined) return undefined;
  const projected = new Set(projectedAttributes(table, index));
  const signed = Object.entries(actions.attributeActions)
    .filter(([, action]) => action !== CryptoAction.DO_NOTHING)
    .map(([name]) => name);
  return [ReservedAttributes.SIGNATURE, ReservedAttributes.MATERIAL_DESCRIPTION, ...signed].filter((name) => !projected.has(name));
}

/** The attributes an index holds: the table's keys, its own keys and its NonKeyAttributes. */
function projectedAttributes(table: TableInfo, index: SecondaryIndex): string[] {
  return [...keyNames(table.primaryIndex), ...keyNames(index), ...(index.nonKeyAttributes ?? [])];
}

function keyNames(index: TableIndex): string[] {
  return index.sort === undefined ? [index.partition] : [index.partition, index.sort];
}

function projectionOfIndex(table: TableInfo, index: SecondaryIndex): Projection {
  return { paths: [...new Set(projectedAttributes(table, index))].map((name) => [{ name }]) };
}
