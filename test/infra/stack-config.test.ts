import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_KEYS,
  DEFAULT_STACK_NAME,
  readStackConfig,
  readStackName,
  STACK_DEFAULTS,
  StackConfigError,
} from '../../infra/stack-config.ts';
import { cdkJsonContext, synthGatewayStack } from '../support/gateway-stack.ts';

const configFrom = (context: Record<string, unknown>, stackRegion?: string) =>
  readStackConfig(new App({ context }).node, stackRegion);

describe('stack context', () => {
  it('cdk.json spells out every default the stack falls back to', () => {
    // Prepare
    const cdkJson = cdkJsonContext();

    // Act
    const documented = Object.fromEntries(Object.keys(STACK_DEFAULTS).map((key) => [key, cdkJson[key]]));

    // Assess
    expect(documented).toEqual(STACK_DEFAULTS);
    expect(CONTEXT_KEYS.filter((key) => !(key in STACK_DEFAULTS))).toEqual(['timBaseUrl', 'alarmTopicArn']);
  });

  it('reads `-c key=value` strings as numbers', () => {
    // Act
    const config = configFrom({
      httpReservedConcurrency: '80',
      apiThrottleBurst: '60',
      cacheTtlSeconds: '0',
    });

    // Assess
    expect(config).toMatchObject({ httpReservedConcurrency: 80, apiThrottleBurst: 60, cacheTtlSeconds: 0 });
  });

  it('lets an explicit base URL win over the data center', () => {
    // Act
    const config = configFrom({ timRegion: 'frankfurt', timBaseUrl: 'https://tim-proxy.example.com' });

    // Assess
    expect(config.upstream).toEqual({ baseUrl: 'https://tim-proxy.example.com' });
  });

  it('takes the documented defaults for absent or empty keys', () => {
    // Act
    const config = configFrom({ secretName: '', timBaseUrl: '' });

    // Assess
    expect(config.upstream).toEqual({ region: STACK_DEFAULTS.timRegion });
    expect(config.secretName).toBe(STACK_DEFAULTS.secretName);
    expect(config.alarmTopicArn).toBeUndefined();
  });

  describe.each([
    {
      key: 'secretName',
      value: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
      says: 'not an ARN',
    },
    { key: 'timRegion', value: 'mars', says: 'singapore' },
    { key: 'timBaseUrl', value: 'http://tim.example.com', says: 'https' },
    { key: 'rateLimitPerSecond', value: '0', says: 'at least 1' },
    { key: 'rateMarginMs', value: 5, says: 'at least 10' },
    { key: 'rateMarginMs', value: '2000', says: 'at most 1000' },
    { key: 'rateLimitPerSecond', value: 'lots', says: 'whole number' },
    { key: 'cacheTtlSeconds', value: -1, says: 'at least 0' },
    { key: 'staleIfErrorSeconds', value: 31_536_001, says: 'at most 31536000' },
    { key: 'maxAccountsPerRequest', value: 12.5, says: 'whole number' },
    { key: 'queueReservedConcurrency', value: 1, says: 'at least 2' },
    { key: 'logRetentionDays', value: 10, says: '14' },
    { key: 'alarmTopicArn', value: 'my-topic', says: 'SNS topic ARN' },
  ])('rejects $key = $value', ({ key, value, says }) => {
    it('with an error that names the key', () => {
      // Act
      const read = () => configFrom({ [key]: value });

      // Assess
      expect(read).toThrow(StackConfigError);
      expect(read).toThrow(`context "${key}"`);
      expect(read).toThrow(says);
    });
  });

  describe.each([
    { key: 'apiThrottleBurst', value: 51, limitKey: 'httpReservedConcurrency' },
    { key: 'callbackThrottleBurst', value: 6, limitKey: 'callbackReservedConcurrency' },
  ])('rejects a $key above $limitKey', ({ key, value, limitKey }) => {
    it('because the burst would reach more instances than exist', () => {
      // Act
      const read = () => configFrom({ [key]: value });

      // Assess
      expect(read).toThrow(
        new StackConfigError(
          `context "${key}" (${value}) must not exceed "${limitKey}" (${
            STACK_DEFAULTS[limitKey as keyof typeof STACK_DEFAULTS]
          })`,
        ),
      );
    });
  });

  describe('an alarm topic', () => {
    const topicIn = (region: string) => `arn:aws:sns:${region}:123456789012:ops-alarms`;

    it('in the region the stack deploys to is accepted', () => {
      // Act
      const config = configFrom({ alarmTopicArn: topicIn('eu-central-1') }, 'eu-central-1');

      // Assess
      expect(config.alarmTopicArn).toBe(topicIn('eu-central-1'));
    });

    it('in another region stops the synth, saying where each is', () => {
      // Act
      const read = () => configFrom({ alarmTopicArn: topicIn('eu-west-1') }, 'eu-central-1');

      // Assess
      expect(read).toThrow(StackConfigError);
      expect(read).toThrow(
        'context "alarmTopicArn" is a topic in eu-west-1, but the stack deploys to eu-central-1',
      );
    });

    it("is checked against the stack's own region when the stack is built", () => {
      // Act
      const synth = () =>
        synthGatewayStack({ context: { alarmTopicArn: topicIn('eu-west-1') }, region: 'us-east-1' });

      // Assess
      expect(synth).toThrow('is a topic in eu-west-1, but the stack deploys to us-east-1');
    });
  });

  describe('the stack name', () => {
    const nameFrom = (context: Record<string, unknown>) => readStackName(new App({ context }).node);

    it.each([
      [{}, DEFAULT_STACK_NAME],
      [{ stackName: '' }, DEFAULT_STACK_NAME],
      [{ stackName: 'PortraitGateway-staging' }, 'PortraitGateway-staging'],
    ])('from %j is %s', (context, expected) => {
      // Assess
      expect(nameFrom(context)).toBe(expected);
    });

    it.each(['2fast', 'portrait_gateway', 'a'.repeat(129)])(
      '%s stops the synth, naming the key',
      (stackName) => {
        // Act
        const read = () => nameFrom({ stackName });

        // Assess
        expect(read).toThrow(StackConfigError);
        expect(read).toThrow('context "stackName" must start with a letter');
      },
    );
  });
});
