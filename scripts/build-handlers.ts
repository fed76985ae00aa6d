/**
 * `npm run build:handlers`: bundles each pipeline handler with the settings the CDK construct
 * uses (HANDLER_BUNDLING) into dist/handlers/<handler>/index.js. The published package ships
 * these, so a consumer's `cdk synth` needs neither esbuild nor this repository's lock file; the
 * `bundles` benchmark measures the same files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { HANDLER_BUNDLING, prebuiltHandlerDirectory, type PipelineHandler } from '../lib/pipeline-function';

export const PIPELINE_HANDLERS: readonly PipelineHandler[] = ['ingest', 'reencrypt-segment', 'stream-decrypt'];

const ROOT = path.resolve(__dirname, '..');

export interface BuiltHandler {
  readonly handler: PipelineHandler;
  readonly file: string;
  readonly bytes: number;
}

export async function buildHandlers(root: string = ROOT): Promise<BuiltHandler[]> {
  const built: BuiltHandler[] = [];
  for (const handler of PIPELINE_HANDLERS) {
    const file = path.join(prebuiltHandlerDirectory(handler, root), 'index.js');
    await build({
      entryPoints: [path.join(root, 'lambda', `${handler}.ts`)],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: HANDLER_BUNDLING.target,
      minify: HANDLER_BUNDLING.minify,
      keepNames: HANDLER_BUNDLING.keepNames,
      sourcemap: HANDLER_BUNDLING.sourceMap,
      external: [...HANDLER_BUNDLING.externalModules],
      logLevel: 'warning',
    });
    built.push({ handler, file, bytes: fs.statSync(file).size });
  }
  return built;
}

if (require.main === module) {
  buildHandlers().then(
    (built) => {
      for (const { handler, file, bytes } of built) console.log(`${handler}: ${path.relative(ROOT, file)} (${(bytes / 1024).toFixed(1)} KB)`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
