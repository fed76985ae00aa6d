import { InvalidArgumentError } from '../errors';

/**
 * Which top-level attributes a DynamoDB expression refers to. Expressions hold no literals
 * (values are `:placeholders`), so a small tokenizer suffices: a path is a name or `#name`,
 * followed by `.name` or `[index]` parts, of which only the first names an item attribute.
 */

type Token = { kind: 'name' | 'placeholder' | 'value' | 'symbol' | 'number'; text: string };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'SET', 'REMOVE', 'ADD', 'DELETE']);
const CLAUSES = new Set(['SET', 'REMOVE', 'ADD', 'DELETE']);
/** Functions that only ask whether an attribute is there: they work on ciphertext as on plaintext. */
const EXISTENCE_FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists']);

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|([0-9]+)|(<>|<=|>=|[=<>()[\],.+-]))/y;
  let offset = 0;
  while (offset < expression.length) {
    if (/^\s*$/.test(expression.slice(offset))) break;
    pattern.lastIndex = offset;
    const match = pattern.exec(expression);
    if (match === null) throw new InvalidArgumentError(`cannot read the expression at character ${offset + 1}`);
    offset = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'placeholder', text: match[1] });
    else if (match[2] !== undefined) tokens.push({ kind: 'value', text: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: 'name', text: match[3] });
    else if (match[4] !== undefined) tokens.push({ kind: 'number', text: match[4] });
    else tokens.push({ kind: 'symbol', text: match[5] });
  }
  return tokens;
}

interface PathReference {
  /** The top-level attribute name, placeholders resolved. */
  readonly attribute: string;
  /** Index of the path's first token. */
  readonly start: number;
  /** Index just after the path. */
  readonly end: number;
  /** True when the path is the argument of attribute_exists / attribute_not_exists. */
  readonly existenceOnly: boolean;
}

function pathReferences(tokens: Token[], names: Readonly<Record<string, string>> | undefined): PathReference[] {
  const references: PathReference[] = [];
  let index = 0;
  while (index < tokens.length) {
    const token = tokens[index];
    const isFunction = token.kind === 'name' && tokens[index + 1]?.text === '(';
    const startsPath = (token.kind === 'name' && !isFunction && !KEYWORDS.has(token.text.toUpperCase())) || token.kind === 'placeholder';
    if (!startsPath) {
      index += 1;
      continue;
    }
    const start = index;
    const attribute = resolve(token, names);
    index += 1;
    // Skip the rest of the path: .name / .#name / [number]
    while (index < tokens.length) {
      if (tokens[index].text === '.' && (tokens[index + 1]?.kind === 'name' || tokens[index + 1]?.kind === 'placeholder')) index += 2;
      else if (tokens[index].text === '[' && tokens[index + 1]?.kind === 'number' && tokens[index + 2]?.text === ']') index += 3;
      else break;
    }
    const before = tokens[start - 2];
    // Only a whole attribute: a path inside an encrypted attribute does not exist in its ciphertext.
    const existenceOnly =
      index === start + 1 &&
      tokens[start - 1]?.text === '(' &&
      before?.kind === 'name' &&
      EXISTENCE_FUNCTIONS.has(before.text) &&
      tokens[index]?.text === ')';
    references.push({ attribute, start, end: index, existenceOnly });
  }
  return references;
}

function resolve(token: Token, names: Readonly<Record<string, string>> | undefined): string {
  if (token.kind !== 'placeholder') return token.text;
  const name = names?.[token.text];
  if (name === undefined) throw new InvalidArgumentError(`the expression uses ${token.text}, which ExpressionAttributeNames does not define`);
  return name;
}

/**
 * Attributes whose values a condition, filter, key condition or projection compares or returns.
 * Existence checks are left out: an encrypted attribute exists exactly when its plaintext does.
 */
export function comparedAttributes(expression: string | undefined, names?: Readonly<Record<string, string>>): Set<string> {
  if (expression === undefined || expression.trim() === '') return new Set();
  return new Set(
    pathReferences(tokenize(expression), names)
      .filter((reference) => !reference.existenceOnly)
      .map((reference) => reference.attribute),
  );
}

/** The attributes an UpdateExpression writes (assigned, removed, added to, deleted from) and those it reads. */
export function updateExpressionAttributes(
  expression: string | undefined,
  names?: Readonly<Record<string, string>>,
): { written: Set<string>; read: Set<string> } {
  const written = new Set<string>();
  const read = new Set<string>();
  if (expression === undefined || expression.trim() === '') return { written, read };
  const tokens = tokenize(expression);
  const references = pathReferences(tokens, names);
  let clause = '';
  // The first path of each action (after a clause keyword or a top-level comma) is its target.
  let expectTarget = false;
  let depth = 0;
  let nextReference = 0;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index];
    const reference = references[nextReference];
    if (reference !== undefined && reference.start === index) {
      if (expectTarget) written.add(reference.attribute);
      else if (!reference.existenceOnly) read.add(reference.attribute);
      expectTarget = false;
      nextReference += 1;
      index = reference.end - 1;
      continue;
    }
    if (token.kind === 'name' && CLAUSES.has(token.text.toUpperCase()) && depth === 0) {
      clause = token.text.toUpperCase();
      expectTarget = true;
    } else if (token.text === '(') depth += 1;
    else if (token.text === ')') depth -= 1;
    else if (token.text === ',' && depth === 0 && clause !== '') expectTarget = true;
  }
  return { written, read };
}
