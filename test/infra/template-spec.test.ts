import { beforeAll, describe, expect, it } from 'vitest';
import { CloudFormationSpec } from '../support/cloudformation-spec.ts';
import { missingHandlers, synthGatewayStack } from '../support/gateway-stack.ts';
import { validateTemplate } from '../support/template-validator.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
type TemplateJson = { Resources: Record<string, Resource> } & Record<string, unknown>;

const missing = missingHandlers();
const skipped = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not written yet)` : '';

/** A deploy's context, with an alarm topic, so the optional resources are in the template too. */
const DEPLOY = {
  context: { alarmTopicArn: 'arn:aws:sns:eu-central-1:123456789012:ops-alarms' },
  region: 'eu-central-1',
};

describe.skipIf(missing.length > 0)(
  `the template against CloudFormation's resource specification${skipped}`,
  () => {
    let spec: CloudFormationSpec;
    let agnostic: TemplateJson;
    let deployed: TemplateJson;

    beforeAll(() => {
      spec = CloudFormationSpec.load();
      agnostic = synthGatewayStack().template.toJSON() as TemplateJson;
      deployed = synthGatewayStack(DEPLOY).template.toJSON() as TemplateJson;
    });

    it('reads the specification the CDK toolchain ships', () => {
      // Assess
      expect(spec.resourceTypeCount).toBeGreaterThan(1000);
      expect(spec.resource('AWS::Lambda::Function')?.properties.Role?.required).toBe(true);
    });

    it.each([
      ['as `cdk synth` builds it without a region', () => agnostic],
      ['for a region, with an alarm topic', () => deployed],
    ])('finds nothing wrong in the stack %s', (_case, template) => {
      // Act
      const problems = validateTemplate(template(), spec);

      // Assess
      expect(Object.keys(template().Resources).length).toBeGreaterThan(50);
      expect(problems).toEqual([]);
    });

    /** The logical id of the first resource of `type`. */
    const idOf = (template: TemplateJson, type: string) =>
      Object.entries(template.Resources).find(([, r]) => r.Type === type)?.[0] ?? `no ${type}`;
    const first = (template: TemplateJson, type: string) =>
      template.Resources[idOf(template, type)] as Resource;

    describe.each<{ mistake: string; inject: (t: TemplateJson) => void; says: string }>([
      {
        mistake: 'a misspelt property',
        inject: (t) => {
          first(t, 'AWS::Lambda::Function').Properties.Timeoutt = 15;
        },
        says: 'unknown property Timeoutt',
      },
      {
        mistake: 'a required property left out',
        inject: (t) => {
          delete first(t, 'AWS::Lambda::Function').Properties.Role;
        },
        says: 'required property Role is missing',
      },
      {
        mistake: 'text where a whole number goes',
        inject: (t) => {
          first(t, 'AWS::Lambda::Function').Properties.MemorySize = 'lots';
        },
        says: '.MemorySize: expected integer, got "lots"',
      },
      {
        mistake: 'a list where a number goes',
        inject: (t) => {
          first(t, 'AWS::SQS::Queue').Properties.MaximumMessageSize = [1_048_576];
        },
        says: '.MaximumMessageSize: expected integer, got [1048576]',
      },
      {
        mistake: 'a misspelt property of a nested property type',
        inject: (t) => {
          first(t, 'AWS::Lambda::EventSourceMapping').Properties.ScalingConfig = { MaximumConcurency: 10 };
        },
        says: '.ScalingConfig: unknown property MaximumConcurency',
      },
      {
        mistake: 'a tag without its value',
        inject: (t) => {
          first(t, 'AWS::SQS::Queue').Properties.Tags = [{ Key: 'team' }];
        },
        says: '.Tags[0]: required property Value is missing',
      },
      {
        mistake: 'Fn::GetAtt of an attribute the resource type does not have',
        inject: (t) => {
          first(t, 'AWS::Lambda::EventSourceMapping').Properties.EventSourceArn = {
            'Fn::GetAtt': [idOf(t, 'AWS::SQS::Queue'), 'Arnn'],
          };
        },
        says: 'AWS::SQS::Queue has no attribute Arnn (it has: Arn, QueueName, QueueUrl)',
      },
      {
        mistake: 'a Ref to a resource that is not in the template',
        inject: (t) => {
          first(t, 'AWS::Lambda::EventSourceMapping').Properties.FunctionName = { Ref: 'QueueFunctionGone' };
        },
        says: 'no resource, parameter or pseudo parameter QueueFunctionGone',
      },
      {
        mistake: 'an intrinsic giving one value where a list goes',
        inject: (t) => {
          first(t, 'AWS::Lambda::Function').Properties.Layers = {
            'Fn::GetAtt': [idOf(t, 'AWS::SQS::Queue'), 'Arn'],
          };
        },
        says: '.Layers: expected a list of string, the intrinsic gives string',
      },
      {
        mistake: 'a reference inside a policy document (free-form JSON) to no resource',
        inject: (t) => {
          const policy = first(t, 'AWS::IAM::Policy').Properties.PolicyDocument as {
            Statement: { Resource: unknown }[];
          };
          (policy.Statement[0] as { Resource: unknown }).Resource = { 'Fn::Sub': `\${Tabel.Arn}/index/*` };
        },
        says: '.PolicyDocument.Statement[0].Resource.Fn::Sub: no resource Tabel',
      },
      {
        mistake: 'a misspelt resource type',
        inject: (t) => {
          first(t, 'AWS::DynamoDB::Table').Type = 'AWS::DynamoDB::Tabel';
        },
        says: 'no resource type AWS::DynamoDB::Tabel in the specification',
      },
      {
        mistake: 'a dependency on no resource',
        inject: (t) => {
          first(t, 'AWS::ApiGateway::Stage').DependsOn = ['ApiExecutionLogsGone'];
        },
        says: '.DependsOn: no resource ApiExecutionLogsGone',
      },
    ])('given $mistake', ({ inject, says }) => {
      it('reports exactly that problem', () => {
        // Prepare
        const broken = structuredClone(deployed);
        inject(broken);

        // Act
        const problems = validateTemplate(broken, spec);

        // Assess
        expect(problems).toEqual([expect.stringContaining(says)]);
      });
    });
  },
);
