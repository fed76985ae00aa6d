import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TableInfo } from '../encrypted/table-info';

export interface DescribedTable {
  readonly tableInfo: TableInfo;
  /**
   * DescribeTable's ItemCount, for progress only: DynamoDB refreshes it about every six hours
   * and DynamoDB Local may report 0, so it is an estimate and never a stopping condition.
   */
  readonly estimatedItemCount?: number;
}

/** Keys, indexes (whose keys stay signed) and the estimated size of a table, in one DescribeTable. */
export async function describeTable(client: DynamoDBClient, tableName: string): Promise<DescribedTable> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table === undefined) throw new Error(`DescribeTable returned no description of table "${tableName}"`);
  return { tableInfo: TableInfo.fromDescription(Table), estimatedItemCount: Table.ItemCount };
}
