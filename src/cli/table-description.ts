import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TableInfo } from '../encrypted/table-info';
import { CliError, ExitCodes } from './cli-error';

export interface DescribedTable {
  readonly tableInfo: TableInfo;
  /**
   * DescribeTable's ItemCount, for progress only: DynamoDB refreshes it about every six hours
   * and DynamoDB Local may report 0, so it is an estimate and never a stopping condition.
   */
  readonly estimatedItemCount?: number;
}

/**
 * Keys, indexes (whose keys stay signed) and the estimated size of a table, in one
 * DescribeTable, which every command makes first: a wrong table name, region or endpoint is
 * then reported before anything else happens, naming all three.
 */
export async function describeTable(client: DynamoDBClient, tableName: string): Promise<DescribedTable> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table === undefined) throw new CliError(`DescribeTable returned no description of table "${tableName}"`, ExitCodes.FAILURE);
    return { tableInfo: TableInfo.fromDescription(Table), estimatedItemCount: Table.ItemCount };
  } catch (error) {
    if ((error as { name?: unknown } | undefined)?.name !== 'ResourceNotFoundException') throw error;
    const region = await client.config.region().catch(() => 'an unknown region');
    const endpoint = await client.config.endpoint?.().catch(() => undefined);
    // An endpoint from AWS_ENDPOINT_URL_* is resolved inside the SDK, not kept in the config.
    const endpointText =
      endpoint === undefined
        ? (process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL)
        : `${endpoint.protocol}//${endpoint.hostname}${endpoint.port === undefined ? '' : `:${endpoint.port}`}`;
    const where = endpointText === undefined ? `region ${region}` : `region ${region} at ${endpointText}`;
    throw new CliError(`table "${tableName}" not found in ${where} (ResourceNotFoundException): check --table (or DDBEC_TABLE_NAME), --region and --endpoint-url`, ExitCodes.FAILURE);
  }
}
