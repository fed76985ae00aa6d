/**
 * How many lists/maps may be nested inside one another, counting the outermost one.
 *
 * DynamoDB itself stops at 32 levels, so 64 never rejects storable data. The limit exists so
 * that hostile bytes (or a cyclic object graph handed to the serializer) end in a clean error
 * instead of a stack overflow.
 */
export const MAX_NESTING_DEPTH = 64;
