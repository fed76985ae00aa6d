import { readFile } from 'node:fs/promises';
import { EnvironmentNames as Names } from '../pipeline/environment-names';
import { readReEncryptConfig, type ReEncryptConfig } from '../pipeline/pipeline-config';
import { CliError } from './cli-error';
import { closestName } from '../format/closest-name';

const KNOWN_NAMES: readonly string[] = Object.values(Names);

/**
 * The materials and attribute actions a command works with: the construct's Lambda
 * environment (a `--config` file holding the `DDBEC_*` variables, as the stack outputs it),
 * with flags overriding single settings. The merged record goes through the Lambdas' own
 * parser, so a configuration problem reads the same here as in a handler's cold start.
 */
export interface MaterialsFlags {
  readonly config?: string;
  readonly table?: string;
  readonly materials?: string;
  readonly kmsKeyId?: string;
  readonly allowedKmsKeyIds?: string;
  readonly metaStoreTable?: string;
  readonly materialName?: string;
  readonly attributeActions?: string;
}

/** Which flag sets which variable: for overriding, and to name the flag in configuration errors. */
const FLAG_VARIABLES: ReadonlyArray<readonly [keyof MaterialsFlags, string, string]> = [
  ['table', Names.TABLE_NAME, '--table'],
  ['materials', Names.MATERIALS, '--materials'],
  ['kmsKeyId', Names.KMS_KEY_ID, '--kms-key-id'],
  ['allowedKmsKeyIds', Names.ALLOWED_KMS_KEY_IDS, '--allowed-kms-key-ids'],
  ['metaStoreTable', Names.META_STORE_TABLE_NAME, '--meta-store-table'],
  ['materialName', Names.MATERIAL_NAME, '--material-name'],
  ['attributeActions', Names.ATTRIBUTE_ACTIONS, '--attribute-actions'],
];

export function flagForVariable(variable: string): string | undefined {
  return FLAG_VARIABLES.find(([, name]) => name === variable)?.[2];
}

/** The `--config` file's variables (or none), then each flag given on top. */
export async function pipelineEnvironment(flags: MaterialsFlags): Promise<Record<string, string>> {
  const environment = flags.config === undefined ? {} : await readConfigFile(flags.config);
  for (const [option, variable] of FLAG_VARIABLES) {
    const value = flags[option];
    if (typeof value === 'string') environment[variable] = value;
  }
  return environment;
}

/** The re-encryption settings of the merged environment; throws the Lambdas' `ConfigurationError`. */
export async function reEncryptSettings(flags: MaterialsFlags): Promise<ReEncryptConfig> {
  return readReEncryptConfig(await pipelineEnvironment(flags));
}

/** Only the table name, for commands that need no materials (describe). */
export async function tableNameSetting(flags: MaterialsFlags): Promise<string> {
  const tableName = (await pipelineEnvironment(flags))[Names.TABLE_NAME]?.trim();
  if (tableName === undefined || tableName === '') throw new CliError(`no table: give --table NAME or a --config file with ${Names.TABLE_NAME}`);
  return tableName;
}

/**
 * A JSON object of variable names to values. Numbers and booleans are accepted as the
 * construct's tests and hand-written files may have them; anything else is refused by name.
 * So is a name the pipeline does not know: a misspelt setting would otherwise be ignored, and
 * a misspelt DDBEC_ALLOWED_KMS_KEY_IDS would silently turn the key restriction off.
 */
export async function readConfigFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the --config file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`the --config file ${path} is not JSON: it must be an object of DDBEC_* variables, as the stack output gives it`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CliError(`the --config file ${path} must be a JSON object of DDBEC_* variables, as the stack output gives it`);
  }
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (!KNOWN_NAMES.includes(name)) {
      throw new CliError(`the --config file ${path}: unknown setting ${JSON.stringify(name)} (did you mean ${closestName(name, KNOWN_NAMES)}?)`);
    }
    if (typeof value === 'string') environment[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') environment[name] = String(value);
    // Attribute actions are JSON inside a variable; an object given as is saves the user an escape.
    else if (name === Names.ATTRIBUTE_ACTIONS && value !== null && typeof value === 'object') environment[name] = JSON.stringify(value);
    else throw new CliError(`the --config file ${path}: ${name} must be a string`);
  }
  return environment;
}
