/**
 * `npm start`: the whole system end to end on this machine (see scripts/start/main.ts).
 *
 * Importing a handler module runs its Lambda cold start, which, with no DDBEC_* settings in this
 * process, logs a configuration error; the demo configures each handler itself, so that
 * import-time start is muted here and the handlers' loggers are set explicitly afterwards.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('./start/main') as typeof import('./start/main')).start();
