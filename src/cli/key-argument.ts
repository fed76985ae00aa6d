import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableInfo } from '../encrypted/table-info';
import type { DynamoDbItem } from '../format/attribute-value';
import { CliError } from './cli-error';

/** A key attribute as given: a string, or a number kept as its source text. */
export type KeyArgumentValue = { readonly kind: 'string'; readonly value: string } | { readonly kind: 'number'; readonly text: string };

const EXAMPLE = `e.g. '{"pk":"a","sk":1}'`;
/** JSON's tokens; the text is valid JSON by then, so strings end where this says. */
const TOKEN = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}[\]:,]/g;

/**
 * `describe --key`: a flat JSON object of the key attributes, in the native form `verify` and
 * `export` print keys in. Numbers keep their source text, so a key of 20 digits finds its item
 * instead of a neighbour JavaScript rounded it to.
 */
export function parseKeyArgument(text: string): Map<string, KeyArgumentValue> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`--key must be JSON, ${EXAMPLE}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || Object.keys(json).length === 0) {
    throw new CliError(`--key must be a JSON object of the key attributes, ${EXAMPLE}`);
  }
  for (const [name, value] of Object.entries(json)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new CliError(`--key attribute "${name}" must be a string or a number (a binary key as its base64 string), ${EXAMPLE}`);
    }
  }
  // Flat and of strings and numbers only: after "{", the tokens are name, ":", value, "," or "}".
  const tokens = text.match(TOKEN) ?? [];
  const key = new Map<string, KeyArgumentValue>();
  for (let index = 1; index + 2 < tokens.length; index += 4) {
    const name = JSON.parse(tokens[index]) as string;
    if (key.has(name)) throw new CliError(`--key names attribute "${name}" twice`);
    const value = tokens[index + 2];
    key.set(name, value.startsWith('"') ? { kind: 'string', value: JSON.parse(value) as string } : { kind: 'number', text: value });
  }
  return key;
}

const TYPE_NAMES: Readonly<Record<string, string>> = { S: 'a string', N: 'a number', B: 'binary (its base64 string)' };

/**
 * The key as DynamoDB takes it, checked against the table's key schema: exactly its partition
 * and sort key, each of its type. A wrong key is the user's to fix (exit 2), not DynamoDB's
 * ValidationException.
 */
export function keyForTable(key: ReadonlyMap<string, KeyArgumentValue>, tableInfo: TableInfo): DynamoDbItem {
  const { partition, sort } = tableInfo.primaryIndex;
  const names = sort === undefined ? [partition] : [partition, sort];
  const schema = names.map((name) => `${name} (${tableInfo.attributeTypes?.[name] ?? '?'})`).join(', ');
  const where = `table "${tableInfo.name}" (its key: ${schema})`;
  for (const name of key.keys()) {
    if (!names.includes(name)) throw new CliError(`--key attribute "${name}" is not a key attribute of ${where}`);
  }
  const item: DynamoDbItem = {};
  for (const name of names) {
    const given = key.get(name);
    if (given === undefined) throw new CliError(`--key lacks the ${name === partition ? 'partition' : 'sort'} key "${name}" of ${where}`);
    item[name] = attributeValue(name, given, tableInfo.attributeTypes?.[name], where);
  }
  return item;
}

function attributeValue(name: string, given: KeyArgumentValue, type: string | undefined, where: string): AttributeValue {
  const wrongType = () => new CliError(`--key attribute "${name}" of ${where} must be ${TYPE_NAMES[type ?? ''] ?? type}, not a ${given.kind}`);
  switch (type) {
    case 'N':
      if (given.kind !== 'number') throw wrongType();
      return { N: given.text };
    case 'B':
      if (given.kind !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(given.value) || given.value.length % 4 !== 0) throw wrongType();
      return { B: Buffer.from(given.value, 'base64') };
    case 'S':
      if (given.kind !== 'string') throw wrongType();
      return { S: given.value };
    default:
      // DescribeTable always gives key types; without one, the value's own type is the best guess.
      return given.kind === 'number' ? { N: given.text } : { S: given.value };
  }
}
