/** Every page of a query or scan, following LastEvaluatedKey until DynamoDB returns none. */
export async function* paginate<Key, Input extends { ExclusiveStartKey?: Key }, Output extends { LastEvaluatedKey?: Key }>(
  input: Input,
  fetchPage: (input: Input) => Promise<Output>,
): AsyncGenerator<Output> {
  let ExclusiveStartKey = input.ExclusiveStartKey;
  do {
    const page = await fetchPage({ ...input, ExclusiveStartKey });
    yield page;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
}
