import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';

describe('parseConfig', () => {
  it('runs on the documented defaults with an empty environment', () => {
    const config = parseConfig({});

    expect(config).toEqual({
      port: DEFAULTS.port,
      host: DEFAULTS.host,
      credentials: { kind: 'none' },
      tableName: 'portrait-gateway',
      rateLimitPerSecond: 200,
      rateMarginMs: 50,
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 60,
      maxAccountsPerRequest: 1000,
    });
  });

  it('reads every variable of the contract', () => {
    const config = parseConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      TIM_REGION: 'frankfurt',
      TIM_BASE_URL: 'https://adminapiger.my-imcloud.com',
      TIM_SDKAPPID: '1400000000',
      TIM_ADMIN_IDENTIFIER: 'administrator',
      TIM_SECRET_KEY: 'k',
      TIM_CALLBACK_TOKEN: 't',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      TABLE_NAME: 'profiles',
      RATE_LIMIT_PER_SECOND: '150',
      RATE_MARGIN_MS: '20',
      CACHE_TTL_SECONDS: '30',
      NEGATIVE_CACHE_TTL_SECONDS: '5',
      MAX_ACCOUNTS_PER_REQUEST: '500',
      RESULTS_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/results',
    });

    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      region: 'frankfurt',
      baseUrl: 'https://adminapiger.my-imcloud.com',
      credentials: {
        kind: 'static',
        sdkAppId: 1400000000,
        identifier: 'administrator',
        secretKey: 'k',
        callbackToken: 't',
      },
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      tableName: 'profiles',
      rateLimitPerSecond: 150,
      rateMarginMs: 20,
      cacheTtlSeconds: 30,
      negativeCacheTtlSeconds: 5,
      maxAccountsPerRequest: 500,
      resultsQueueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/results',
    });
  });

  it('takes the credentials from Secrets Manager when only TIM_SECRET_ID is set', () => {
    expect(parseConfig({ TIM_SECRET_ID: 'portrait-gateway/tencent' }).credentials).toEqual({
      kind: 'secrets-manager',
      secretId: 'portrait-gateway/tencent',
    });
  });

  describe.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['TIM_REGION', 'mars'],
    ['TIM_BASE_URL', 'not a url'],
    ['TIM_BASE_URL', 'http://console.tim.qq.com'],
    ['TIM_SDKAPPID', '0'],
    ['DYNAMODB_ENDPOINT', 'ftp://127.0.0.1'],
    ['TABLE_NAME', 'a b'],
    ['RATE_LIMIT_PER_SECOND', '0'],
    ['RATE_LIMIT_PER_SECOND', '-5'],
    ['RATE_MARGIN_MS', '9'],
    ['RATE_MARGIN_MS', '1001'],
    ['RATE_MARGIN_MS', '50.5'],
    ['CACHE_TTL_SECONDS', '1.5'],
    ['NEGATIVE_CACHE_TTL_SECONDS', 'soon'],
    ['MAX_ACCOUNTS_PER_REQUEST', '0'],
    ['RESULTS_QUEUE_URL', 'queue'],
  ])('%s=%s', (variable, value) => {
    it('stops with a ConfigError that names the variable', () => {
      const parse = () => parseConfig({ [variable]: value });

      expect(parse).toThrow(ConfigError);
      expect(parse).toThrow(variable);
    });
  });

  it('refuses part of the static credentials, naming what is missing, never a value', () => {
    const parse = () => parseConfig({ TIM_SDKAPPID: '1400000000', TIM_SECRET_KEY: 'super-secret' });

    expect(parse).toThrow('TIM_ADMIN_IDENTIFIER must be set together with TIM_SDKAPPID, TIM_SECRET_KEY');
    expect(parse).not.toThrow(/super-secret/);
  });

  it('allows plain http only to a loopback Tencent', () => {
    expect(parseConfig({ TIM_BASE_URL: 'http://127.0.0.1:5555' }).baseUrl).toBe('http://127.0.0.1:5555');
  });
});
