import { callbackSign } from '../../shared/tencent/callback-signature.ts';
import { tagValueType } from '../../shared/tencent/profile-tags.ts';
import { API_PATHS } from '../api-routes.ts';
import { UINT32_MAX } from './emulator/json-values.ts';

/** A value or tag the webhook cannot carry; the message says what to give instead. */
export class WebhookArgumentError extends Error {
  override readonly name = 'WebhookArgumentError';
}

export interface ProfileChange {
  sdkAppId: number;
  callbackToken: string;
  account: string;
  tag: string;
  /** As typed: a uint32 tag's value is sent as a JSON number, any other as a string. */
  value: string;
  /** Epoch ms: the event's `EventTime`, and `RequestTime` in seconds. */
  nowMs: number;
}

/** The JSON value Tencent would send for `value` under `tag`. */
function tagValue(tag: string, value: string): string | number {
  const type = tagValueType(tag);
  if (type === undefined) {
    throw new WebhookArgumentError(
      `tag is ${JSON.stringify(tag)}: use a standard tag such as Tag_Profile_IM_Nick, or Tag_Profile_Custom_<keyword>`,
    );
  }
  if (type === 'string') return value;
  if (!/^\d+$/.test(value) || Number(value) > UINT32_MAX) {
    throw new WebhookArgumentError(
      `value is ${JSON.stringify(value)}: ${tag} holds a whole number from 0 to ${UINT32_MAX}`,
    );
  }
  return Number(value);
}

/**
 * The `Profile.CallbackPortraitSet` webhook Tencent sends after `account` changed `tag`, signed as
 * Tencent signs it (`Sign = hex(sha256(token + RequestTime))`): the path with its query, and the
 * body. Throws {@link WebhookArgumentError} for a malformed tag or a value its tag cannot hold.
 */
export function portraitSetWebhook(change: ProfileChange): { pathAndQuery: string; body: string } {
  const requestTime = String(Math.floor(change.nowMs / 1000));
  const command = 'Profile.CallbackPortraitSet';
  const query = new URLSearchParams({
    SdkAppid: String(change.sdkAppId),
    CallbackCommand: command,
    contenttype: 'json',
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
    RequestTime: requestTime,
    Sign: callbackSign(change.callbackToken, requestTime),
  });
  const body = {
    CallbackCommand: command,
    Operator_Account: change.account,
    From_Account: change.account,
    EventTime: change.nowMs,
    ProfileItem: [{ Tag: change.tag, Value: tagValue(change.tag, change.value) }],
  };
  return { pathAndQuery: `/${API_PATHS.callback}?${query}`, body: JSON.stringify(body) };
}
