import { Token } from 'aws-cdk-lib';

/**
 * Refuses a numeric prop that is not a whole number from `min` to `max` (`context` adds why the
 * range is what it is). A token (a CfnParameter, say) is known only at deploy time: it is let
 * through, and CloudFormation or the service checks it then.
 */
export function checkWholeNumber(construct: string, prop: string, value: number, min: number, max: number, context = ''): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${construct}: ${prop} must be a whole number from ${min} to ${max}${context}, got ${value}`);
  }
}
