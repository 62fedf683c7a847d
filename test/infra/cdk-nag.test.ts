import { type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PortraitGatewayStack } from '../../infra/portrait-gateway-stack.ts';
import { missingHandlers, synthGatewayStack } from '../support/gateway-stack.ts';

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

interface Finding {
  ruleName: string;
  constructPath: string;
}

/** Every `Validations.of(construct).acknowledge(...)` in the tree, where it was made. */
function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([qualifiedId, reason]) => ({
          path: construct.node.path,
          id: qualifiedId.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** What AwsSolutions would report if nothing were acknowledged. */
function findingsWithoutAcknowledgements(stack: Stack): Finding[] {
  const pack = new AwsSolutionsChecks();
  // The pack's own lookup, switched off: the only way to see what each acknowledgement silences.
  Object.assign(pack, { isAcknowledged: () => false });
  return pack.validateScope(stack).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      ruleName: violation.ruleName,
      constructPath: (resource as { constructPath?: string }).constructPath ?? '',
    })),
  );
}

const missing = missingHandlers();
const skipped = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not written yet)` : '';

describe.skipIf(missing.length > 0)(`cdk-nag AwsSolutions on the stack cdk synth builds${skipped}`, () => {
  let stack: PortraitGatewayStack;
  let acknowledgements: Acknowledgement[];
  let findings: Finding[];

  beforeAll(() => {
    ({ stack } = synthGatewayStack());
    acknowledgements = acknowledgementsIn(stack);
    findings = findingsWithoutAcknowledgements(stack);
  });

  it('reports no unacknowledged finding', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges on the construct concerned, never stack-wide', () => {
    // Assess
    expect(acknowledgements.length).toBeGreaterThan(0);
    expect(acknowledgements.filter((a) => a.path === stack.node.path || a.path === '')).toEqual([]);
  });

  it('silences a finding with every acknowledgement (none is stale)', () => {
    // Act
    const stale = acknowledgements.filter(
      (a) => !findings.some((f) => f.ruleName === a.id && f.constructPath.startsWith(`${a.path}/`)),
    );

    // Assess
    expect(stale).toEqual([]);
  });

  it('gives every acknowledgement a reason that explains itself', () => {
    // Assess
    for (const { reason } of acknowledgements) expect(reason.length).toBeGreaterThan(80);
  });

  it('acknowledges the unauthenticated callback with why IAM cannot apply and what checks it instead', () => {
    // Act
    const callback = acknowledgements.find(
      (a) => a.id === 'AwsSolutions-APIG4' && a.path.endsWith('/tencent-im/callback/POST'),
    );

    // Assess
    expect(callback?.reason).toMatch(/SigV4/);
    expect(callback?.reason).toMatch(/Sign/);
    expect(callback?.reason).toMatch(/throttle/);
  });
});
