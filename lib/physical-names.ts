import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Construct id of the receiver in {@link FptWebhookReceiverStack}. A receiver with this id directly in its
 * stack keeps the names every release before receivers could share a stack gave it: its physical names
 * start with the stack name and its output keys have no prefix. Renaming a deployed secret would leave
 * the stored signing key behind in the old one.
 */
export const DEFAULT_RECEIVER_ID = 'Receiver';

/** Ids of the scopes from the construct's stack (excluded) down to the construct itself. */
export function pathInStack(construct: IConstruct): string[] {
  const stack = Stack.of(construct);
  const scopes = construct.node.scopes;
  return scopes.slice(scopes.indexOf(stack) + 1).map((scope) => scope.node.id);
}

/**
 * Prefix of the fixed (physical) names a construct gives its resources: secrets, alarms, dashboards.
 * `<stackName>` for the construct with `legacyId` directly in its stack, else
 * `<stackName>-<path in stack, joined by dashes>`. Only `A-Z a-z 0-9 - _` are kept, the characters every
 * one of those names accepts (dashboard names are the strictest). Stack names are unique per account and
 * region and construct paths per stack, so two receivers never share a prefix unless two paths differ only
 * by the characters replaced; the receiver checks that at synth.
 */
export function physicalNamePrefix(construct: IConstruct, legacyId: string): string {
  const path = pathInStack(construct);
  const stackName = Stack.of(construct).stackName;
  if (path.length === 1 && path[0] === legacyId) return stackName;
  return [stackName, ...path.map((id) => id.replace(/[^A-Za-z0-9_-]/g, '-'))].join('-');
}

/**
 * Prefix of the CloudFormation output keys a construct emits (keys are alphanumeric): empty for the
 * construct with `legacyId` directly in its stack, else its path in the stack in PascalCase
 * (`Webhooks/crm-sync` -> `WebhooksCrmSync`).
 */
export function outputKeyPrefix(construct: IConstruct, legacyId: string): string {
  const path = pathInStack(construct);
  if (path.length === 1 && path[0] === legacyId) return '';
  return path
    .flatMap((id) => id.split(/[^A-Za-z0-9]+/))
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
