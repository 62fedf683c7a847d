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
      serviceName: 'portrait-gateway',
      rateLimitPerSecond: 200,
      rateMarginMs: 50,
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 60,
      staleIfErrorSeconds: 86_400,
      earlyRefreshMs: 1000,
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
      POWERTOOLS_SERVICE_NAME: 'PortraitGateway-staging',
      RATE_LIMIT_PER_SECOND: '150',
      RATE_MARGIN_MS: '20',
      CACHE_TTL_SECONDS: '30',
      NEGATIVE_CACHE_TTL_SECONDS: '5',
      STALE_IF_ERROR_SECONDS: '0',
      EARLY_REFRESH_MS: '250',
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
      serviceName: 'PortraitGateway-staging',
      rateLimitPerSecond: 150,
      rateMarginMs: 20,
      cacheTtlSeconds: 30,
      negativeCacheTtlSeconds: 5,
      staleIfErrorSeconds: 0,
      earlyRefreshMs: 250,
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
    ['STALE_IF_ERROR_SECONDS', '31536001'],
    ['EARLY_REFRESH_MS', '60001'],
    ['MAX_ACCOUNTS_PER_REQUEST', '0'],
    ['RESULTS_QUEUE_URL', 'queue'],
  ])('%s=%s', (variable, value) => {
    it('stops with a ConfigError that names the variable, echoes the value and says what to use', () => {
      const parse = () => parseConfig({ [variable]: value });

      expect(parse).toThrow(ConfigError);
      expect(parse).toThrow(
        new RegExp(`^${variable} is ${JSON.stringify(value).replace(/[.]/g, '\\.')}: use `),
      );
    });
  });

  it.each([
    [
      'PORT',
      '70000',
      'PORT is "70000": use a whole number from 0 to 65535, or unset it for the default (3000)',
    ],
    [
      'TIM_REGION',
      'mars',
      'TIM_REGION is "mars": use one of china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley, jakarta, or unset it',
    ],
    [
      'TIM_SDKAPPID',
      '0',
      'TIM_SDKAPPID is "0": use the app\'s SDKAppID, a positive whole number such as 1400000000',
    ],
  ])('says exactly what to do about %s=%s', (variable, value, message) => {
    expect(() => parseConfig({ [variable]: value })).toThrow(message);
  });

  it('refuses part of the static credentials, naming what is missing, never a value', () => {
    const parse = () => parseConfig({ TIM_SDKAPPID: '1400000000', TIM_SECRET_KEY: 'super-secret' });

    expect(parse).toThrow(
      'TIM_ADMIN_IDENTIFIER is not set: TIM_SDKAPPID, TIM_ADMIN_IDENTIFIER, TIM_SECRET_KEY go together; set TIM_ADMIN_IDENTIFIER too, or unset TIM_SDKAPPID and TIM_SECRET_KEY',
    );
    expect(parse).not.toThrow(/super-secret/);
  });

  it('allows plain http only to a loopback Tencent', () => {
    expect(parseConfig({ TIM_BASE_URL: 'http://127.0.0.1:5555' }).baseUrl).toBe('http://127.0.0.1:5555');
  });
});
