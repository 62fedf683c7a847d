import {
  InvalidRequestError,
  TencentApiError,
  TencentProtocolError,
  TencentTransportError,
  type TransportFailure,
} from '../../shared/errors.ts';
import type { PortraitClient } from '../../shared/portrait/ports.ts';
import type { PortraitGetResponse, UserProfileItem } from '../../shared/tencent/portrait-types.ts';
import { foundItem, okReply } from './tencent-doc-examples.ts';

/** One `portraitGet` as it was made. */
export interface PortraitCall {
  accounts: readonly string[];
  tags: readonly string[];
}

/** How one call is answered: a reply, or a throw. */
export type Step = (call: PortraitCall) => PortraitGetResponse;

/** The value every account has for every tag, so that answers can be checked. */
export const tagValue = (account: string, tag: string): string => `${tag}@${account}`;

/**
 * `ActionStatus: OK` with every account of the call answered: those named in `codes` with that
 * code, the others with {@link tagValue} each requested tag.
 */
export const answer =
  (codes: Readonly<Record<string, number>> = {}): Step =>
  ({ accounts, tags }) =>
    okReply(
      accounts.map((account): UserProfileItem => {
        const code = codes[account];
        return code === undefined
          ? foundItem(
              account,
              tags.map((tag) => ({ Tag: tag, Value: tagValue(account, tag) })),
            )
          : { To_Account: account, ResultCode: code, ResultInfo: `scripted ${code}` };
      }),
    );

/** Tencent refuses the whole call with `code` (`ActionStatus: FAIL`). */
export const refuse =
  (code: number): Step =>
  () => {
    throw new TencentApiError(code, `scripted ${code}`);
  };

/** Tencent cannot be reached, or answers outside HTTP 200 (60008). */
export const unreachable =
  (failure: TransportFailure = 'connection'): Step =>
  () => {
    throw new TencentTransportError(failure, `scripted ${failure}`);
  };

/** Tencent answers HTTP 200 with something that is no portrait_get reply (70500). */
export const garbled: Step = () => {
  throw new TencentProtocolError('scripted reply that is not portrait_get');
};

/** The client refuses the request before any network use (40001). */
export const invalid: Step = () => {
  throw new InvalidRequestError(40001, 'To_Account', 'scripted invalid request');
};

export interface ScriptedPortraitClientOptions {
  sdkAppId: number;
  /** Moves the test's clock on, for {@link ScriptedPortraitClient.callMs}. */
  advance?: (ms: number) => void;
}

/**
 * A Tencent client that answers from a script: each `portraitGet` takes the next step, and once
 * the script is used up, {@link otherwise}. Records every call and counts credential refreshes.
 */
export class ScriptedPortraitClient implements PortraitClient {
  readonly calls: PortraitCall[] = [];
  renewals = 0;
  reloads = 0;
  /** How unscripted calls are answered. Default: {@link answer} with values for everyone. */
  otherwise: Step = answer();
  /**
   * How long each call takes on the test's clock. Calls of one wave then add up, where real ones
   * overlap: meant for requests of one chunk.
   */
  callMs = 0;
  readonly #script: Step[] = [];
  readonly #sdkAppId: number;
  readonly #advance: (ms: number) => void;

  constructor(options: ScriptedPortraitClientOptions) {
    this.#sdkAppId = options.sdkAppId;
    this.#advance = options.advance ?? (() => {});
  }

  /** Appends `steps` to the script. */
  script(...steps: Step[]): this {
    this.#script.push(...steps);
    return this;
  }

  async portraitGet(accounts: readonly string[], tags: readonly string[]): Promise<PortraitGetResponse> {
    const call = { accounts: [...accounts], tags: [...tags] };
    this.calls.push(call);
    this.#advance(this.callMs);
    return (this.#script.shift() ?? this.otherwise)(call);
  }

  async renewUserSig(): Promise<void> {
    this.renewals += 1;
  }

  async reloadCredentials(): Promise<void> {
    this.reloads += 1;
  }

  async sdkAppId(): Promise<number> {
    return this.#sdkAppId;
  }

  async ready(): Promise<void> {}
}
