import { loggableError } from '../src/pipeline/loggable-error';
import { observability } from './observability';

type Handler<Event, Context, Result> = (event: Event, context: Context) => Promise<Result>;

/**
 * The handler Lambda runs, built from the environment once per container.
 *
 * Built on the first invocation, not at import: importing a handler module (tests, `npm start`,
 * a bundler) then needs no environment and logs nothing. A configuration error is logged once,
 * with the message that names every variable to fix, and raised by every invocation so that it
 * also shows in the invoke error (Step Functions, the event source mapping, the console).
 */
export function deployedHandler<Event, Context, Result>(service: string, create: () => Handler<Event, Context, Result>): Handler<Event, Context, Result> {
  let built: { handler: Handler<Event, Context, Result> } | { error: unknown } | undefined;
  return async (event, context) => {
    if (built === undefined) {
      try {
        built = { handler: create() };
      } catch (error) {
        built = { error };
        observability(service).logger.error(`${service} is not configured`, loggableError(error));
      }
    }
    if ('error' in built) throw built.error;
    return built.handler(event, context);
  };
}
