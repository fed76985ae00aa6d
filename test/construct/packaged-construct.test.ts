import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
/** Not copied into the packing copy: dependencies (linked instead) and build output; dot entries (.git, scratch) neither. */
const NOT_COPIED = new Set(['node_modules', 'dist', 'cdk.out']);

/** Every file under `directory` (recursively), with its size and modification time; empty when it does not exist. */
function snapshot(directory: string): Record<string, string> {
  if (!fs.existsSync(directory)) return {};
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(directory, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const stat = fs.lstatSync(file);
    files[path.relative(directory, file)] = `${stat.isDirectory() ? 'dir' : stat.size}@${stat.mtimeMs}`;
  }
  return files;
}

/**
 * A copy of the working tree (the sources as they are now, committed or not) to pack from:
 * `npm pack` runs prepack, which builds into dist/, and a test must not rewrite the checkout.
 */
function packingCopy(): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'packing-copy-'));
  for (const name of fs.readdirSync(ROOT)) {
    if (NOT_COPIED.has(name) || name.startsWith('.')) continue;
    fs.cpSync(path.join(ROOT, name), path.join(copy, name), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

/**
 * A consumer installs the published package, without this repository's lambda/ sources, lock
 * file or esbuild: the construct must then deploy the prebuilt bundles the package ships. This
 * packs the package as npm would publish it (prepack builds it, in a copy of the working tree),
 * installs it into an empty app, and synthesizes a stack there.
 */
test('in a consumer app the construct synthesizes from the packed package, with its prebuilt handler bundles', () => {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-app-'));
  const copy = packingCopy();
  const distBefore = snapshot(path.join(ROOT, 'dist'));
  try {
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: copy, encoding: 'utf8' }).trim().split('\n').pop() as string;
    // The build went to the copy's dist/: the checkout's (if any) is untouched.
    expect(snapshot(path.join(ROOT, 'dist'))).toEqual(distBefore);
    expect(fs.existsSync(path.join(copy, 'dist', 'handlers'))).toBe(true);
    const installed = path.join(app, 'node_modules', 'dynamodb-encryption-client-ts');
    fs.mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(app, tarball), '-C', installed, '--strip-components=1']);
    expect(fs.existsSync(path.join(installed, 'lambda'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'package-lock.json'))).toBe(false);
    // The consumer's own dependencies: the CDK libraries and the SDK, as an app would have them (no esbuild).
    for (const dependency of ['aws-cdk-lib', 'constructs', '@aws-sdk', '@aws-lambda-powertools']) {
      fs.symlinkSync(path.join(ROOT, 'node_modules', dependency), path.join(app, 'node_modules', dependency));
    }
    const script = `
      const { App, Stack } = require('aws-cdk-lib');
      const dynamodb = require('aws-cdk-lib/aws-dynamodb');
      const { EncryptedTableConstruct } = require('dynamodb-encryption-client-ts/cdk');
      const app = new App({ outdir: ${JSON.stringify(path.join(app, 'cdk.out'))} });
      const stack = new Stack(app, 'Consumer');
      new EncryptedTableConstruct(stack, 'Orders', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
        ingest: {}, decryptedStream: {}, reEncryption: {},
      });
      const assembly = app.synth();
      const template = assembly.getStackByName('Consumer').template;
      const handlers = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Handler);
      process.stdout.write(JSON.stringify({ handlers, assets: require('fs').readdirSync(assembly.directory).filter((name) => name.startsWith('asset.')) }));
    `;
    const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8', env: { ...process.env, PATH: path.dirname(process.execPath) } })) as {
      handlers: string[];
      assets: string[];
    };
    expect(result.handlers).toEqual(['index.handler', 'index.handler', 'index.handler']);
    expect(result.assets).toHaveLength(3);
    for (const asset of result.assets) {
      const bundle = path.join(app, 'cdk.out', asset, 'index.js');
      expect(fs.statSync(bundle).size).toBeGreaterThan(10_000);
      expect(fs.statSync(bundle).size).toBeLessThan(500 * 1024);
    }
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
    fs.rmSync(copy, { recursive: true, force: true });
  }
}, 180_000);
