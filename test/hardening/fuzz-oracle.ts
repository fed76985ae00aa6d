/**
 * The hostile-input oracle (issue #8) shared by the jest fuzz tests and `bench/fuzz.ts`: how one
 * generated case is run and judged, and the planted secrets it searches error texts for.
 *
 * Every target must, for every input, either succeed or throw a `DynamoDbEncryptionError`;
 * finish within `SLOW_CASE_MS`; and never expose a planted plaintext marker or a byte of key
 * material in what it throws (message, `String(error)`, stack, own fields, cause chain) or in
 * the rejection reasons it returns. Targets may add their own checks (a tampered item must be
 * rejected, a valid one accepted).
 */
import type fc from 'fast-check';
import { DynamoDbEncryptionError } from '../../src/errors';

/** A single case slower than this is a failure (the bound). */
export const SLOW_CASE_MS = 1000;
/** A case still pending after this is reported as a hang (only async hangs can be caught in-process). */
export const HANG_MS = 10_000;

/**
 * Planted in every plaintext string the generators make (S values, set members, map keys, JSON
 * strings, B bytes). Attribute names and table names never contain it: those may be named.
 */
export const PLAINTEXT_MARKER = 'PLAINTEXT-MARKER';
/** Digits planted in plaintext numbers; offsets and sizes in messages never reach 11 digits. */
export const NUMBER_MARKER = '86753091357';
/**
 * Digits that only item data carries where an input also has settings a message may quote (the
 * re-encryption request: its checkpoint key and filter value are data, its segment numbers and
 * `dryRun` settings). The generators and mutations never make these digits, so a setting holds
 * them only if the code under test copied data there, and any error showing them leaks data.
 * Shares no 11-digit run with NUMBER_MARKER followed by a serial (it has no 2), nor with the
 * values fast-check draws.
 */
export const DATA_NUMBER_MARKER = '24681357902';

/** One thing that must not appear in any exposed text, with every spelling worth searching for. */
export interface Secret {
  /** Names the secret in a failure report (never the secret itself, for keys). */
  readonly label: string;
  readonly needles: readonly string[];
}

/** Spellings of bytes a careless message would use: raw, hex, base64 (any alignment), `String(Uint8Array)`. */
export function byteNeedles(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes);
  const needles = new Set<string>([
    buffer.toString('latin1'),
    buffer.toString('hex'),
    buffer.toString('hex').toUpperCase(),
    Array.from(buffer).join(','),
  ]);
  // The base64 of these bytes inside a longer buffer depends on their offset modulo 3: keep the
  // characters that do not mix in neighbouring bytes, for each of the three alignments.
  for (let shift = 0; shift < 3; shift++) {
    const total = shift + buffer.length;
    const encoded = Buffer.concat([Buffer.alloc(shift), buffer]).toString('base64');
    const inner = encoded.slice(shift === 0 ? 0 : 4, Math.floor(total / 3) * 4);
    if (inner.length >= 8) {
      needles.add(inner);
      needles.add(inner.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...needles].filter((needle) => needle.length >= 8);
}

/** The planted plaintext markers, in every spelling. */
export const PLAINTEXT_SECRETS: readonly Secret[] = [
  { label: `plaintext marker "${PLAINTEXT_MARKER}"`, needles: [PLAINTEXT_MARKER, ...byteNeedles(Buffer.from(PLAINTEXT_MARKER))] },
  { label: `plaintext number marker ${NUMBER_MARKER}`, needles: [NUMBER_MARKER] },
];

/** Key material: the whole key (symmetric keys) or, for long DER keys, windows of it. */
export function keySecret(label: string, keyBytes: Uint8Array): Secret {
  if (keyBytes.length <= 64) return { label, needles: byteNeedles(keyBytes) };
  // DER keys are long; a leak would show some of it. Windows at offsets that are multiples of 3
  // also match a PEM body (base64 of the whole DER) exactly.
  const needles: string[] = [];
  for (let offset = 48; offset + 24 <= keyBytes.length; offset += 3 * 40) {
    needles.push(...byteNeedles(keyBytes.subarray(offset, offset + 24)));
  }
  return { label, needles };
}

// ---------------------------------------------------------------------------------------------
// What an error exposes

function renderValue(value: unknown, depth: number, seen: Set<unknown>): string {
  if (value instanceof Uint8Array) return `${Buffer.from(value).toString('latin1')} ${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  if (depth > 6 || seen.has(value)) return '';
  seen.add(value);
  if (value instanceof Error) return exposedText(value, depth + 1, seen);
  const parts: string[] = [];
  for (const key of Object.keys(value)) parts.push(key, renderValue((value as Record<string, unknown>)[key], depth + 1, seen));
  return parts.join(' ');
}

/**
 * Everything an error puts in a log line: `String(error)`, message, stack, own enumerable fields
 * (structured loggers print them: `problems`, `failures`...), AggregateError members and the
 * cause chain.
 */
export function exposedText(error: unknown, depth = 0, seen: Set<unknown> = new Set()): string {
  if (!(error instanceof Error)) return renderValue(error, depth, seen);
  seen.add(error);
  const parts = [String(error), error.message, error.stack ?? ''];
  for (const key of Object.keys(error)) {
    if (key === 'cause') continue;
    parts.push(key, renderValue((error as unknown as Record<string, unknown>)[key], depth + 1, seen));
  }
  if (error instanceof AggregateError) parts.push(renderValue(error.errors, depth + 1, seen));
  if (error.cause !== undefined && depth < 10 && !seen.has(error.cause)) parts.push(exposedText(error.cause, depth + 1, seen));
  return parts.join('\n');
}

export function leaksIn(text: string, secrets: readonly Secret[]): string[] {
  return secrets.filter((secret) => secret.needles.some((needle) => text.includes(needle))).map((secret) => secret.label);
}

// ---------------------------------------------------------------------------------------------
// Cases

/** One prepared call of the code under test, with what must hold of its outcome. */
export interface Attempt {
  /** Calls the code under test (timed). */
  call(): unknown;
  /** Secrets to search for; asked after the call, so secrets made during it (content keys) count. */
  secrets(): readonly Secret[];
  /** Texts a successful result exposes (rejection reasons): searched for secrets too. */
  exposedOnSuccess?(result: unknown): readonly string[];
  /** Problems with a successful result (a forgery accepted, a wrong value...). */
  checkResult?(result: unknown): readonly string[];
  /** Problems with a typed rejection (a valid item refused...). */
  checkRejection?(error: DynamoDbEncryptionError): readonly string[];
}

export interface FuzzTarget<Input> {
  readonly name: string;
  /** Relative cost-weighted share of the bench's cases. */
  readonly benchShare: number;
  readonly arbitrary: fc.Arbitrary<Input>;
  /** Builds the attempt for one input (untimed: may encrypt a fixture first). */
  prepare(input: Input): Attempt | Promise<Attempt>;
}

export type Outcome = 'ok' | 'typed-error' | 'untyped-error' | 'hang';

export interface CaseReport {
  readonly outcome: Outcome;
  readonly elapsedMs: number;
  readonly slow: boolean;
  readonly leaks: readonly string[];
  /** Every violated property, as text; empty when the case passed. */
  readonly problems: readonly string[];
}

const HANG = Symbol('hang');

/** Runs one case and judges it; never throws for anything the code under test does. */
export async function runCase<Input>(target: FuzzTarget<Input>, input: Input): Promise<CaseReport> {
  let attempt: Attempt;
  try {
    attempt = await target.prepare(input);
  } catch (error) {
    // A fixture that cannot be built is a harness bug, reported like any other failed case.
    return { outcome: 'untyped-error', elapsedMs: 0, slow: false, leaks: [], problems: [`fixture could not be prepared: ${describeThrown(error)}`] };
  }
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  let result: unknown;
  let error: unknown;
  let threw = false;
  try {
    const pending = Promise.resolve().then(() => attempt.call());
    result = await Promise.race([
      pending,
      new Promise<typeof HANG>((resolve) => {
        timer = setTimeout(() => resolve(HANG), HANG_MS);
      }),
    ]);
  } catch (caught) {
    threw = true;
    error = caught;
  } finally {
    clearTimeout(timer);
  }
  const elapsedMs = performance.now() - started;
  const problems: string[] = [];
  const slow = elapsedMs > SLOW_CASE_MS;
  if (slow) problems.push(`took ${elapsedMs.toFixed(0)} ms (bound ${SLOW_CASE_MS} ms)`);
  if (!threw && result === HANG) {
    problems.push(`did not settle within ${HANG_MS} ms`);
    return { outcome: 'hang', elapsedMs, slow, leaks: [], problems };
  }

  let outcome: Outcome;
  let exposed: string;
  if (threw) {
    exposed = exposedText(error);
    if (error instanceof DynamoDbEncryptionError) {
      outcome = 'typed-error';
      problems.push(...(attempt.checkRejection?.(error) ?? []));
    } else {
      outcome = 'untyped-error';
      const stack = error instanceof Error ? (error.stack ?? '').split('\n').slice(0, 6).join('\n') : '';
      problems.push(`threw a non-DynamoDbEncryptionError: ${describeThrown(error)}\n${stack}`);
    }
  } else {
    outcome = 'ok';
    exposed = (attempt.exposedOnSuccess?.(result) ?? []).join('\n');
    problems.push(...(attempt.checkResult?.(result) ?? []));
  }
  const leaks = leaksIn(exposed, attempt.secrets());
  for (const leak of leaks) problems.push(`exposes ${leak} in ${threw ? 'the error' : 'a returned reason'}: ${exposed.slice(0, 300)}`);
  return { outcome, elapsedMs, slow, leaks, problems };
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message.slice(0, 200)}`;
  return `a non-Error (${typeof error})`;
}

/** Totals over many cases, as the bench reports them. */
export class FuzzTally {
  cases = 0;
  ok = 0;
  typedErrors = 0;
  untypedErrors = 0;
  hangs = 0;
  leaks = 0;
  slowCases = 0;
  /** Cases with any problem (untyped, leak, slow, or a target-specific check). */
  failedCases = 0;
  readonly examples: string[] = [];

  add(targetName: string, report: CaseReport, describeInput: () => string): void {
    this.cases += 1;
    if (report.outcome === 'ok') this.ok += 1;
    else if (report.outcome === 'typed-error') this.typedErrors += 1;
    else if (report.outcome === 'untyped-error') this.untypedErrors += 1;
    else this.hangs += 1;
    if (report.leaks.length > 0) this.leaks += 1;
    if (report.slow) this.slowCases += 1;
    if (report.problems.length > 0) {
      this.failedCases += 1;
      if (this.examples.length < 10) this.examples.push(`[${targetName}] ${report.problems.join('; ')}\n  input: ${describeInput()}`);
    }
  }
}

/** Scales every test's case count: FUZZ_RUNS_SCALE=10 fuzzes ten times as long. */
export function scaledRuns(numRuns: number): number {
  const scale = Number(process.env.FUZZ_RUNS_SCALE ?? 1);
  return Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/**
 * The jest form of a target: fast-check fails (and shrinks) on the first case with a problem,
 * printing the problems, the input and the seed that reproduces it.
 */
export async function assertTarget<Input>(target: FuzzTarget<Input>, numRuns: number): Promise<void> {
  const { default: fastCheck } = await import('fast-check');
  await fastCheck.assert(
    fastCheck.asyncProperty(target.arbitrary, async (input) => {
      const report = await runCase(target, input);
      if (report.problems.length > 0) throw new Error(`${target.name}: ${report.problems.join('\n')}`);
    }),
    { numRuns: scaledRuns(numRuns) },
  );
}
