import jsonata from 'jsonata';

/**
 * A minimal interpreter of Amazon States Language in JSONata mode, for proving a synthesized
 * state machine definition in tests where AWS Step Functions (or Step Functions Local) cannot run.
 *
 * It knows exactly the state types and fields the re-encryption job uses: Pass, Task (Lambda
 * `lambda:invoke` only, with Retry), Choice, Map / Distributed Map, Succeed and Fail. Anything
 * else (a field, a state type, JSONPath) throws `UnsupportedDefinitionError`, so a test can never
 * pass because a semantic it relies on was silently skipped.
 *
 * Semantics follow the Step Functions documentation (transforming-data, state-map, error
 * handling): `{% expr %}` strings are JSONata with `$states` bound to
 * `{ input, result?, context }`; other strings are literals; objects and arrays are evaluated
 * field by field; an expression that returns nothing (undefined) fails the state with
 * `States.QueryEvaluationError`, as it does on AWS.
 */

/** A Lambda function as the state machine sees it: a JSON payload in, a JSON response out (or a thrown error). */
export type LambdaFunction = (payload: unknown) => Promise<unknown>;

export interface RunOptions {
  /** The Lambda functions, by what `Arguments.FunctionName` evaluates to in the definition. */
  readonly functions: Readonly<Record<string, LambdaFunction>>;
}

export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** Every Lambda invocation, retried and failed ones included. */
  readonly invocations: number;
}

/** The definition uses something this interpreter does not implement (or is invalid). */
export class UnsupportedDefinitionError extends Error {}

/** A Step Functions error (`States.*`, a Fail state's, a Lambda's): fails the execution unless retried. */
class StatesError extends Error {
  constructor(
    readonly error: string,
    readonly stateCause: string,
  ) {
    super(`${error}: ${stateCause}`);
  }
}

type Json = unknown;
type Definition = Record<string, unknown>;
interface StateMachineBody {
  readonly StartAt: string;
  readonly States: Record<string, Definition>;
}
interface Context {
  readonly Execution: { readonly Input: Json };
  readonly Map?: { readonly Item: { readonly Value: Json; readonly Index: number } };
}
interface Run {
  readonly functions: Readonly<Record<string, LambdaFunction>>;
  readonly deadline: number;
  invocations: number;
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** The most a state's input or output may hold (256 KiB). */
const MAX_STATE_DATA_BYTES = 256 * 1024;
const EXPRESSION = /^\{%([\s\S]*)%\}$/;

/** Runs one execution of `definition` on `input`, to its end. */
export async function runStateMachine(definition: unknown, input: Json, options: RunOptions): Promise<ExecutionResult> {
  const machine = definition as Definition;
  checkFields('the state machine', machine, ['StartAt', 'States', 'QueryLanguage', 'Comment', 'TimeoutSeconds']);
  // Only JSONata: a JSONPath state would need InputPath/Parameters/ResultPath semantics this does not have.
  if (machine.QueryLanguage !== 'JSONata') throw new UnsupportedDefinitionError(`only QueryLanguage "JSONata" is supported, got ${String(machine.QueryLanguage)}`);
  const timeoutSeconds = machine.TimeoutSeconds === undefined ? Infinity : (machine.TimeoutSeconds as number);
  const run: Run = { functions: options.functions, deadline: Date.now() + timeoutSeconds * 1000, invocations: 0 };
  const data = toJson(input);
  try {
    const output = await runStates(machine as unknown as StateMachineBody, data, { Execution: { Input: data } }, run);
    return { status: 'SUCCEEDED', output, invocations: run.invocations };
  } catch (error) {
    // Only Step Functions errors end an execution as FAILED; anything else is a bug or an unsupported definition.
    if (error instanceof StatesError) return { status: 'FAILED', error: error.error, cause: error.stateCause, invocations: run.invocations };
    throw error;
  }
}

/** Runs a StartAt/States graph (the machine, or a Map's ItemProcessor) and returns its output. */
async function runStates(body: StateMachineBody, input: Json, context: Context, run: Run): Promise<Json> {
  let name = body.StartAt;
  let data = input;
  for (;;) {
    const state = body.States[name];
    if (state === undefined) throw new UnsupportedDefinitionError(`state "${name}" is not defined`);
    // The execution's TimeoutSeconds, checked as each state starts.
    if (Date.now() > run.deadline) throw new StatesError('States.Timeout', `the execution ran past its TimeoutSeconds (entering ${name})`);
    if (state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONata') {
      throw new UnsupportedDefinitionError(`state "${name}": only QueryLanguage "JSONata" is supported`);
    }
    const where = `state "${name}" (${String(state.Type)})`;
    let next: string | undefined;
    switch (state.Type) {
      case 'Pass':
        checkFields(where, state, ['Type', 'Comment', 'QueryLanguage', 'Output', 'Next', 'End']);
        data = state.Output === undefined ? data : await evaluate(state.Output, { input: data, context }, `${name}.Output`);
        next = transition(where, state);
        break;
      case 'Task':
        data = await runTask(where, name, state, data, context, run);
        next = transition(where, state);
        break;
      case 'Choice':
        next = await choose(where, name, state, data, context);
        break;
      case 'Map':
        data = await runMap(where, name, state, data, context, run);
        next = transition(where, state);
        break;
      case 'Succeed':
        checkFields(where, state, ['Type', 'Comment', 'QueryLanguage']);
        return data;
      case 'Fail': {
        checkFields(where, state, ['Type', 'Comment', 'QueryLanguage', 'Error', 'Cause']);
        const error = state.Error === undefined ? 'States.Fail' : await evaluate(state.Error, { input: data, context }, `${name}.Error`);
        const cause = state.Cause === undefined ? '' : await evaluate(state.Cause, { input: data, context }, `${name}.Cause`);
        if (typeof error !== 'string' || typeof cause !== 'string') throw new StatesError('States.QueryEvaluationError', `${where}: Error and Cause must be strings`);
        throw new StatesError(error, cause);
      }
      default:
        throw new UnsupportedDefinitionError(`${where}: state type ${String(state.Type)} is not supported`);
    }
    // State data is capped on AWS too: a Map's array of results counts against it.
    if (Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8') > MAX_STATE_DATA_BYTES) {
      throw new StatesError('States.DataLimitExceeded', `${where}: its output exceeds ${MAX_STATE_DATA_BYTES} bytes`);
    }
    if (next === undefined) return data;
    name = next;
  }
}

/** A state's Next, or undefined at End. */
function transition(where: string, state: Definition): string | undefined {
  if (state.End === true) return undefined;
  if (typeof state.Next !== 'string') throw new UnsupportedDefinitionError(`${where} has neither Next nor End`);
  return state.Next;
}

/**
 * A Task that invokes a Lambda function through the optimized integration. The task result is
 * `{ Payload }` (the function's response); Output (default: the result) is evaluated with
 * `$states.result`. A failure is retried per Retry; the retry runs the state again on the same input.
 */
async function runTask(where: string, name: string, state: Definition, input: Json, context: Context, run: Run): Promise<Json> {
  checkFields(where, state, ['Type', 'Comment', 'QueryLanguage', 'Resource', 'Arguments', 'Output', 'Retry', 'Next', 'End']);
  if (state.Resource !== LAMBDA_INVOKE) throw new UnsupportedDefinitionError(`${where}: only Resource ${LAMBDA_INVOKE} is supported, got ${String(state.Resource)}`);
  checkFields(`${where} Arguments`, state.Arguments as Definition, ['FunctionName', 'Payload']);
  const retriers = ((state.Retry ?? []) as Definition[]).map((retrier, index) => {
    // Interval, backoff and jitter only say how long to wait: a test does not sleep.
    checkFields(`${where} Retry[${index}]`, retrier, ['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy']);
    return { errorEquals: retrier.ErrorEquals as string[], maxAttempts: (retrier.MaxAttempts as number | undefined) ?? 3, attempts: 0 };
  });
  for (;;) {
    try {
      const args = (await evaluate(state.Arguments, { input, context }, `${name}.Arguments`)) as { FunctionName: unknown; Payload: Json };
      const fn = typeof args.FunctionName === 'string' ? run.functions[args.FunctionName] : undefined;
      if (fn === undefined) throw new UnsupportedDefinitionError(`${where}: no function given for FunctionName ${JSON.stringify(args.FunctionName)}`);
      run.invocations += 1;
      let response: Json;
      try {
        // Lambda carries the event and the response as JSON.
        response = toJson(await fn(toJson(args.Payload))) ?? null;
      } catch (error) {
        // A function error surfaces as its errorType (the thrown error's name), as the Node.js runtime reports it.
        const errorType = error instanceof Error ? error.name : 'Error';
        throw new StatesError(errorType, JSON.stringify({ errorType, errorMessage: error instanceof Error ? error.message : String(error) }));
      }
      const result = { Payload: response };
      return state.Output === undefined ? result : await evaluate(state.Output, { input, result, context }, `${name}.Output`);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      // The first retrier whose ErrorEquals matches decides; once its attempts are spent the error stands.
      const retrier = retriers.find((candidate) => candidate.errorEquals.some((equals) => matches(equals, error.error)));
      if (retrier === undefined || retrier.attempts >= retrier.maxAttempts) throw error;
      retrier.attempts += 1;
    }
  }
}

function matches(errorEquals: string, error: string): boolean {
  if (errorEquals === 'States.ALL') return true;
  if (errorEquals === 'States.TaskFailed') return error !== 'States.Timeout';
  return errorEquals === error;
}

/** The first Choice whose Condition is true, else Default (else States.NoChoiceMatched). */
async function choose(where: string, name: string, state: Definition, input: Json, context: Context): Promise<string> {
  checkFields(where, state, ['Type', 'Comment', 'QueryLanguage', 'Choices', 'Default']);
  for (const [index, choice] of (state.Choices as Definition[]).entries()) {
    checkFields(`${where} Choices[${index}]`, choice, ['Condition', 'Next', 'Comment']);
    const condition = await evaluate(choice.Condition, { input, context }, `${name}.Choices[${index}].Condition`);
    if (typeof condition !== 'boolean') throw new StatesError('States.QueryEvaluationError', `${where} Choices[${index}].Condition did not return a boolean`);
    if (condition) return choice.Next as string;
  }
  if (typeof state.Default === 'string') return state.Default;
  throw new StatesError('States.NoChoiceMatched', `${where}: no choice matched and there is no Default`);
}

/**
 * A Map (INLINE) or Distributed Map (DISTRIBUTED, child executions): Items evaluated to an
 * array, each item shaped by ItemSelector (with `$states.context.Map.Item`), at most
 * MaxConcurrency iterations running at once, the output the array of iteration outputs in order.
 */
async function runMap(where: string, name: string, state: Definition, input: Json, context: Context, run: Run): Promise<Json> {
  checkFields(where, state, ['Type', 'Comment', 'QueryLanguage', 'Items', 'ItemSelector', 'ItemProcessor', 'MaxConcurrency', 'Next', 'End']);
  const processor = state.ItemProcessor as Definition;
  checkFields(`${where} ItemProcessor`, processor, ['ProcessorConfig', 'StartAt', 'States']);
  const config = (processor.ProcessorConfig ?? { Mode: 'INLINE' }) as Definition;
  const mode = config.Mode ?? 'INLINE';
  if (mode === 'INLINE') checkFields(`${where} ProcessorConfig`, config, ['Mode']);
  else if (mode === 'DISTRIBUTED') {
    checkFields(`${where} ProcessorConfig`, config, ['Mode', 'ExecutionType']);
    // EXPRESS child executions have other limits and at-least-once semantics: not modelled.
    if (config.ExecutionType !== 'STANDARD') throw new UnsupportedDefinitionError(`${where}: only STANDARD child executions are supported`);
  } else throw new UnsupportedDefinitionError(`${where}: ProcessorConfig.Mode ${String(mode)} is not supported`);
  if (state.Items === undefined) throw new UnsupportedDefinitionError(`${where}: a Map without Items is not supported`);
  const items = await evaluate(state.Items, { input, context }, `${name}.Items`);
  if (!Array.isArray(items)) throw new StatesError('States.QueryEvaluationError', `${where}: Items did not evaluate to an array`);
  const maxConcurrency = (state.MaxConcurrency as number | undefined) ?? 0;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 0) throw new UnsupportedDefinitionError(`${where}: MaxConcurrency must be a whole number`);

  const iterate = async (item: Json, index: number): Promise<Json> => {
    const selected =
      state.ItemSelector === undefined
        ? item
        : await evaluate(state.ItemSelector, { input, context: { ...context, Map: { Item: { Value: item, Index: index } } } }, `${name}.ItemSelector`);
    // A Distributed Map runs each iteration as a child execution whose input is the selected item.
    const iterationContext: Context = mode === 'DISTRIBUTED' ? { Execution: { Input: selected } } : { Execution: context.Execution };
    return runStates(processor as unknown as StateMachineBody, selected, iterationContext, run);
  };
  try {
    return await withConcurrency(items, maxConcurrency === 0 ? items.length : maxConcurrency, iterate);
  } catch (error) {
    // A Distributed Map tolerates no failed child by default, and then fails with this error
    // (the child's own error is in the child's history); an inline Map fails with the iteration's.
    if (mode === 'DISTRIBUTED' && error instanceof StatesError) {
      throw new StatesError('States.ExceedToleratedFailureThreshold', `${where}: a child execution failed with ${error.error}: ${error.stateCause}`);
    }
    throw error;
  }
}

/**
 * Runs `fn` over `items` with at most `limit` running at once; results in item order. After a
 * failure nothing new starts, the running ones are awaited, and the first error is thrown (AWS
 * stops the running iterations instead; their outcome does not matter once the Map has failed).
 */
async function withConcurrency<R>(items: Json[], limit: number, fn: (item: Json, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/**
 * Evaluates a field: `{% expr %}` strings as JSONata with `$states` bound, objects and arrays
 * field by field, anything else as a literal. The result is plain JSON, as state data is.
 */
async function evaluate(template: unknown, states: { input: Json; result?: Json; context: Context }, field: string): Promise<Json> {
  if (typeof template === 'string') {
    const match = EXPRESSION.exec(template);
    if (match === null) return template;
    let expression: jsonata.Expression;
    try {
      expression = jsonata(match[1]);
    } catch (error) {
      // Step Functions refuses such a definition when it is created.
      throw new UnsupportedDefinitionError(`${field}: invalid JSONata ${JSON.stringify(match[1])}: ${(error as Error).message}`);
    }
    let value: unknown;
    try {
      value = await expression.evaluate(undefined, { states });
    } catch (error) {
      throw new StatesError('States.QueryEvaluationError', `The JSONata expression ${JSON.stringify(match[1])} specified for the field '${field}' failed: ${(error as Error).message}`);
    }
    if (value === undefined) throw new StatesError('States.QueryEvaluationError', `The JSONata expression ${JSON.stringify(match[1])} specified for the field '${field}' returned nothing (undefined)`);
    return toJson(value);
  }
  if (Array.isArray(template)) return Promise.all(template.map((element, index) => evaluate(element, states, `${field}[${index}]`)));
  if (template !== null && typeof template === 'object') {
    const entries = await Promise.all(Object.entries(template).map(async ([key, value]) => [key, await evaluate(value, states, `${field}/${key}`)] as const));
    return Object.fromEntries(entries);
  }
  return template;
}

/** Plain JSON (JSONata's sequences lose their extra properties; undefined fields drop out, as in a JSON document). */
function toJson(value: unknown): Json {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Json);
}

function checkFields(where: string, object: Definition | undefined, allowed: readonly string[]): void {
  if (object === null || typeof object !== 'object') throw new UnsupportedDefinitionError(`${where} must be an object`);
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new UnsupportedDefinitionError(`${where}: field(s) ${unknown.join(', ')} not supported by this interpreter`);
}
