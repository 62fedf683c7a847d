import { randomUUID } from 'node:crypto';
import { AwsJsonEndpoint, type AwsJsonError, type Operation } from '../../infra/local/aws-json-endpoint.ts';

export { LOOPBACK_AWS_CREDENTIALS } from '../../shared/aws-client-settings.ts';

export const LOOPBACK_AWS_REGION = 'us-east-1';

/**
 * Secrets Manager's `GetSecretValue` over its real wire protocol (JSON 1.1,
 * `X-Amz-Target: secretsmanager.GetSecretValue`), holding secrets a test sets and changes.
 */
export class LoopbackSecretsManager extends AwsJsonEndpoint {
  readonly #secrets = new Map<string, { value: string | undefined; version: string }>();
  #failure: AwsJsonError | undefined;

  private constructor() {
    super('secretsmanager', 'application/x-amz-json-1.1');
  }

  static async start(): Promise<LoopbackSecretsManager> {
    const endpoint = new LoopbackSecretsManager();
    await endpoint.listen();
    return endpoint;
  }

  /** Stores (or rotates) a secret; `undefined` stores a secret with no SecretString (binary only). */
  setSecret(secretId: string, value: string | undefined): void {
    this.#secrets.set(secretId, { value, version: randomUUID() });
  }

  /** How many GetSecretValue calls arrived. */
  get reads(): number {
    return this.calls.filter((name) => name === 'GetSecretValue').length;
  }

  /** Every call fails with this error until `failWith(undefined)`. */
  failWith(failure: AwsJsonError | undefined): void {
    this.#failure = failure;
  }

  protected operation(name: string): Operation | undefined {
    if (name !== 'GetSecretValue') return undefined;
    return (input) => {
      if (this.#failure) return this.#failure;
      const secretId = String(input.SecretId);
      const secret = this.#secrets.get(secretId);
      if (!secret) {
        return {
          status: 400,
          type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        };
      }
      return {
        status: 200,
        body: {
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}-AbCdEf`,
          Name: secretId,
          VersionId: secret.version,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Math.floor(Date.now() / 1000),
          ...(secret.value === undefined ? { SecretBinary: 'AAEC' } : { SecretString: secret.value }),
        },
      };
    };
  }
}
