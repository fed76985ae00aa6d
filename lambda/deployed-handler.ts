import { loggableError } from '../src/pipeline/loggable-error';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { measuredInvocation, observability } from './observability';

type Handler<Event, Context, Result> = (event: Event, context: Context) => Promise<Result>;

/**
 * The handler Lambda runs, built from the environment once per container.
 *
 * In Lambda (the runtime sets AWS_LAMBDA_FUNCTION_NAME) it is built at import, in the init
 * phase: the first invocation does not pay for it, and provisioned concurrency or SnapStart
 * run it ahead of time. Anywhere else (tests, `npm start`) it is built on the first invocation,
 * so importing a handler module needs no environment and logs nothing. Either way a
 * configuration error is logged once, with the message that names every variable to fix, and
 * raised by every invocation so that it also shows in the invoke error (Step Functions, the event
 * source mapping, the console).
 */
export function deployedHandler<Event, Context, Result>(service: string, create: () => Handler<Event, Context, Result>): Handler<Event, Context, Result> {
  let built: { handler: Handler<Event, Context, Result> } | { error: unknown; metrics: Metrics } | undefined;
  const build = (): { handler: Handler<Event, Context, Result> } | { error: unknown; metrics: Metrics } => {
    try {
      return { handler: create() };
    } catch (error) {
      const { logger, metrics } = observability(service);
      logger.error(`${service} is not configured`, loggableError(error));
      return { error, metrics };
    }
  };
  if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) built = build();
  return async (event, context) => {
    built ??= build();
    if ('error' in built) {
      const { error } = built;
      // Counted like any failed invocation (the handler, which would count it, was never built).
      return measuredInvocation(built.metrics, context, () => Promise.reject(error));
    }
    return built.handler(event, context);
  };
}
