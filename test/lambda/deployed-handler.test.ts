/**
 * deployedHandler (lambda/deployed-handler.ts): when the handler is built, and how a bad
 * configuration shows. A unit test of one function: `create` stands in for the handler factories.
 */
import { ConfigurationError } from '../../src/pipeline/pipeline-config';
import { deployedHandler } from '../../lambda/deployed-handler';

const savedEnvironment = { ...process.env };
const logged: string[] = [];

beforeEach(() => {
  logged.length = 0;
  process.env.POWERTOOLS_DEV = 'true'; // Powertools writes through the console, where jest can read it
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
    });
  }
});

afterEach(() => {
  process.env = { ...savedEnvironment };
  jest.restoreAllMocks();
});

const echo = async (event: string) => `handled ${event}`;

describe('deployedHandler', () => {
  it('in Lambda, builds the handler at import (the init phase), once per container', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'orders-ingest';
    const create = jest.fn(() => echo);
    const handler = deployedHandler('ingest', create);
    expect(create).toHaveBeenCalledTimes(1);
    await expect(handler('a', {})).resolves.toBe('handled a');
    await expect(handler('b', {})).resolves.toBe('handled b');
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('outside Lambda, builds it on the first invocation: importing needs no environment and logs nothing', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const create = jest.fn(() => echo);
    const handler = deployedHandler('ingest', create);
    expect(create).not.toHaveBeenCalled();
    expect(logged).toEqual([]);
    await expect(handler('a', {})).resolves.toBe('handled a');
    await handler('b', {});
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('a configuration error is logged once with the variables to fix, and raised by every invocation', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'orders-stream';
    const create = jest.fn((): typeof echo => {
      throw new ConfigurationError(['DDBEC_TABLE_NAME is not set (the encrypted table)']);
    });
    const handler = deployedHandler('stream-decrypt', create);
    for (const event of ['a', 'b', 'c']) await expect(handler(event, {})).rejects.toThrow(/DDBEC_TABLE_NAME is not set/);
    expect(create).toHaveBeenCalledTimes(1);
    const lines = logged.filter((line) => line.includes('stream-decrypt is not configured'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ConfigurationError');
    expect(lines[0]).toContain('DDBEC_TABLE_NAME');
  });

  it('an unexpected error at build time is logged by its name only (its message may quote data)', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const handler = deployedHandler('ingest', (): typeof echo => {
      throw new SyntaxError('Unexpected token s in JSON at position 0: "secret-value"');
    });
    await expect(handler('a', {})).rejects.toThrow(SyntaxError);
    expect(logged.join('\n')).toContain('SyntaxError');
    expect(logged.join('\n')).not.toContain('secret-value');
  });
});
