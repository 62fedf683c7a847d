import type { EmulatorOptions, TencentEmulator } from '../../infra/local/emulator.ts';
import { LoopbackSqs } from '../../infra/local/loopback-sqs.ts';
import { parseConfig } from '../../shared/config.ts';
import { createQueueGateway, type QueueGateway } from '../../shared/gateway.ts';
import { closeConnections } from '../../shared/upstream/tencent-client.ts';
import { LOOPBACK_AWS_CREDENTIALS, LOOPBACK_AWS_REGION, LoopbackSecretsManager } from './aws-endpoints.ts';
import { createTestTable, type RunningDynalite, startDynalite } from './dynalite.ts';
import { startTestEmulator, TEST_CREDENTIALS } from './emulator-factory.ts';

/** The name the harness stores the Tencent credentials under in its Secrets Manager. */
export const TEST_SECRET_ID = 'portrait-gateway/tencent';

/** The secret's JSON for these credentials. */
export const secretJson = (credentials: {
  sdkAppId: number;
  identifier: string;
  secretKey: string;
}): string => JSON.stringify(credentials);

/**
 * Every real part a handler needs, each on loopback: dynalite with a fresh table, the Tencent IM
 * emulator with the demo profiles, Secrets Manager holding {@link TEST_CREDENTIALS}, and SQS.
 */
export class GatewayHarness {
  readonly dynalite: RunningDynalite;
  readonly emulator: TencentEmulator;
  readonly secrets: LoopbackSecretsManager;
  readonly sqs: LoopbackSqs;
  readonly tableName: string;
  readonly #gateways: QueueGateway[] = [];

  private constructor(
    dynalite: RunningDynalite,
    emulator: TencentEmulator,
    secrets: LoopbackSecretsManager,
    sqs: LoopbackSqs,
    tableName: string,
  ) {
    this.dynalite = dynalite;
    this.emulator = emulator;
    this.secrets = secrets;
    this.sqs = sqs;
    this.tableName = tableName;
  }

  /** Starts every part; `emulator` overrides the emulator's options (default: the demo profiles). */
  static async start(emulator: Partial<EmulatorOptions> = {}): Promise<GatewayHarness> {
    const [dynalite, tencent, secrets, sqs] = await Promise.all([
      startDynalite(),
      startTestEmulator(emulator),
      LoopbackSecretsManager.start(),
      LoopbackSqs.start(),
    ]);
    secrets.setSecret(TEST_SECRET_ID, secretJson(TEST_CREDENTIALS));
    return new GatewayHarness(dynalite, tencent, secrets, sqs, await createTestTable(dynalite.client));
  }

  /** The environment a deployed function would have, pointed at the loopback parts. */
  environment(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      TIM_BASE_URL: this.emulator.url,
      TIM_SECRET_ID: TEST_SECRET_ID,
      DYNAMODB_ENDPOINT: this.dynalite.endpoint,
      TABLE_NAME: this.tableName,
      RESULTS_QUEUE_URL: this.sqs.queueUrl(),
      ...overrides,
    };
  }

  /** A gateway built exactly as at a cold start, from {@link environment} parsed by `parseConfig`. */
  gateway(env: Record<string, string> = {}): QueueGateway {
    const gateway = createQueueGateway(parseConfig(this.environment(env)), {
      aws: { region: LOOPBACK_AWS_REGION, credentials: LOOPBACK_AWS_CREDENTIALS },
      secretsManagerEndpoint: this.secrets.url,
    });
    this.#gateways.push(gateway);
    return gateway;
  }

  async close(): Promise<void> {
    for (const gateway of this.#gateways) gateway.close();
    closeConnections();
    await Promise.all([this.dynalite.close(), this.emulator.close(), this.secrets.close(), this.sqs.close()]);
  }
}
