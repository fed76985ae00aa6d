/**
 * ddbec's clients: KMS calls go to the region of the key ARN they name, with the command's
 * profile and endpoint; key ids and aliases to --region; every client made is destroyed.
 */
import { awsClients } from '../../src/cli/aws-clients';
import { kmsClientFor } from '../../src/pipeline/materials-from-config';

const ENDPOINT = 'http://127.0.0.1:4599';
const KEY_ELSEWHERE = 'arn:aws:kms:us-east-1:111122223333:key/0b5e7d1c-1111-2222-3333-444455556666';
const KEY_HERE = 'arn:aws:kms:eu-west-1:111122223333:key/7a9c1f2e-1111-2222-3333-444455556666';

test('a key ARN of another region gets a client of that region, the same endpoint, made once', async () => {
  const clients = awsClients({ region: 'eu-west-1', kmsEndpointUrl: ENDPOINT });
  try {
    const elsewhere = kmsClientFor(KEY_ELSEWHERE, clients);
    expect(await elsewhere.config.region()).toBe('us-east-1');
    expect(kmsClientFor(KEY_ELSEWHERE, clients)).toBe(elsewhere);
    const endpoint = await elsewhere.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    expect(endpoint?.port).toBe(4599);
    expect(await kmsClientFor(KEY_HERE, clients).config.region()).toBe('eu-west-1');
    // Key ids and aliases name no region: --region's client.
    expect(kmsClientFor('alias/orders', clients)).toBe(clients.kms);
    expect(await clients.kms.config.region()).toBe('eu-west-1');
  } finally {
    clients.destroy();
  }
});

test('destroy reaches every client made, those of other regions included', () => {
  const clients = awsClients({ region: 'eu-west-1', kmsEndpointUrl: ENDPOINT });
  const elsewhere = kmsClientFor(KEY_ELSEWHERE, clients);
  const destroyed: string[] = [];
  for (const [name, client] of [['dynamodb', clients.dynamoDb], ['kms', clients.kms], ['kms-us-east-1', elsewhere]] as const) {
    const original = client.destroy.bind(client);
    client.destroy = () => {
      destroyed.push(name);
      original();
    };
  }
  clients.destroy();
  expect(destroyed.sort()).toEqual(['dynamodb', 'kms', 'kms-us-east-1']);
});
