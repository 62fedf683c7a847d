import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { type AwsEndpointSettings, awsClientOptions } from '../aws-client-settings.ts';
import { DependencyError } from '../errors.ts';
import { parseJsonObject } from '../json-object.ts';
import type { CredentialsProvider } from '../portrait/ports.ts';
import type { TencentCredentials } from '../tencent/credentials.ts';

/**
 * How long a read secret is trusted: five minutes. A rotation reaches every instance within this
 * time even without a signature error, and a busy fleet reads the secret a few times an hour
 * instead of on every cold start burst.
 */
export const SECRET_CACHE_TTL_MS = 5 * 60_000;

/**
 * How long `get()` serves the last good credentials after a failed read before it reads again: 30 s.
 * A read during a Secrets Manager outage can take two 3 s tries; without a pause every call would
 * pay that, while a rotated key is still caught at once by `refresh()` on Tencent's signature error.
 */
export const SECRET_RETRY_AFTER_FAILURE_MS = 30_000;

const missingOr =
  (problem: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is missing' : problem;

const WHOLE = 'must be a positive whole number';

const requiredText = z
  .string({ error: missingOr('must be a string') })
  .min(1, { error: 'must not be empty' });

/**
 * The secret's JSON (README.md, "Deploy to AWS"). Every message is fixed text: a failure names the field, never
 * what it held. Fields the gateway does not know are ignored, so a rotation function may add its own.
 */
const secretSchema = z.object({
  sdkAppId: z.union(
    [
      z.int({ error: WHOLE }).positive({ error: WHOLE }),
      z
        .string()
        .regex(/^[1-9]\d{0,11}$/, { error: WHOLE })
        .transform(Number),
    ],
    { error: missingOr(WHOLE) },
  ),
  identifier: requiredText,
  secretKey: requiredText,
  callbackToken: z.string({ error: 'must be a string' }).optional(),
});

export interface SecretsManagerCredentialsOptions extends AwsEndpointSettings {
  /** The secret's name or ARN (`TIM_SECRET_ID`). */
  secretId: string;
  /** A ready client, shared with other readers; default: one built from the endpoint settings. */
  client?: SecretsManagerClient;
  /** Default {@link SECRET_CACHE_TTL_MS}. */
  ttlMs?: number;
  /** The clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

interface Held {
  credentials: TencentCredentials;
  /** When `get()` next reads the secret: the end of the cache time, or of the pause after a failure. */
  readAgainAtMs: number;
}

/**
 * Tencent admin credentials from a Secrets Manager secret, read once and cached for `ttlMs`.
 * Concurrent callers share one read. When the cache has expired and the read fails, the last good
 * credentials are served on (stale-if-error), and `get()` reads again only after
 * {@link SECRET_RETRY_AFTER_FAILURE_MS}: Tencent still accepts them unless the key rotated, and then
 * a signature error calls {@link refresh}, which always reads and never serves stale values.
 */
export class SecretsManagerCredentials implements CredentialsProvider {
  readonly #secretId: string;
  readonly #client: SecretsManagerClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #held: Held | undefined;
  #reading: Promise<TencentCredentials> | undefined;

  constructor(options: SecretsManagerCredentialsOptions) {
    this.#secretId = options.secretId;
    this.#client = options.client ?? new SecretsManagerClient(awsClientOptions(options));
    this.#ttlMs = options.ttlMs ?? SECRET_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  async get(): Promise<TencentCredentials> {
    const held = this.#held;
    if (held && this.#now() < held.readAgainAtMs) return held.credentials;
    try {
      return await this.#read();
    } catch (error) {
      const last = this.#held;
      if (!last) throw error;
      this.#held = { ...last, readAgainAtMs: this.#now() + SECRET_RETRY_AFTER_FAILURE_MS };
      return last.credentials;
    }
  }

  refresh(): Promise<TencentCredentials> {
    return this.#read();
  }

  #read(): Promise<TencentCredentials> {
    this.#reading ??= this.#fetch().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #fetch(): Promise<TencentCredentials> {
    let secretString: string | undefined;
    try {
      const reply = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
      secretString = reply.SecretString;
    } catch (error) {
      throw new DependencyError(
        'secret',
        `secret ${this.#secretId} could not be read from Secrets Manager (${errorName(error)})`,
        { cause: error },
      );
    }
    const credentials = this.#parse(secretString);
    this.#held = { credentials, readAgainAtMs: this.#now() + this.#ttlMs };
    return credentials;
  }

  #parse(secretString: string | undefined): TencentCredentials {
    if (secretString === undefined) {
      throw new DependencyError(
        'secret',
        `secret ${this.#secretId} holds no SecretString: store the JSON as text`,
      );
    }
    // No cause on purpose: the parser's own message quotes the text around the fault, part of the secret.
    const json = parseJsonObject(secretString);
    if (!json.ok) {
      const problem = json.problem === 'not-json' ? 'is not JSON' : 'must hold a JSON object';
      throw new DependencyError('secret', `secret ${this.#secretId} ${problem}`);
    }
    const parsed = secretSchema.safeParse(json.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DependencyError(
        'secret',
        `secret ${this.#secretId} field ${issue?.path.join('.')} ${issue?.message ?? 'is invalid'}`,
        // Zod's issues carry the fixed messages above and the path, never the field's value.
        { cause: parsed.error },
      );
    }
    const { callbackToken, ...required } = parsed.data;
    return callbackToken === undefined ? required : { ...required, callbackToken };
  }
}

/** The SDK error's class name (e.g. `ResourceNotFoundException`); its message may quote the request. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}
