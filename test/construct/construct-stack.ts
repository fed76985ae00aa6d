import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/**
 * A stack for construct tests. Bundling is skipped (the bundles have their own benchmark and the
 * example app's synth test bundles for real): every synth here would otherwise run esbuild three times.
 */
export function testStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The resources of one type, with their logical ids. */
export function resourcesOf(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

/** Every statement of every IAM policy in the template. */
export function policyStatements(template: Template): Array<{ Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown>; policy: string }> {
  return resourcesOf(template, 'AWS::IAM::Policy').flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> }> }).Statement.map(
      (statement) => ({ ...statement, policy }),
    ),
  );
}

export function actionsOf(statement: { Action: string | string[] }): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The environment variables of the function whose logical id contains `part`. */
export function functionEnvironment(template: Template, part: string): Record<string, unknown> {
  const found = resourcesOf(template, 'AWS::Lambda::Function').filter(([id]) => id.includes(part));
  if (found.length !== 1) throw new Error(`expected one function with "${part}" in its id, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return (found[0][1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}
