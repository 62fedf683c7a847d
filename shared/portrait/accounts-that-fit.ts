import type { PortraitGetResponse } from '../tencent/portrait-types.ts';

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * How many of `reply`'s accounts surely fit one message of `maxBytes`, whichever of them are sent:
 * the message's fixed part (envelope, CorrelationId, an empty `Fail_Account`), as `encode` writes
 * it, plus that many times the largest account's share (its item, and its `Fail_Account` entry
 * when it failed). 0 when even the largest account alone does not fit. `measure` gives the bytes
 * a piece of the reply's JSON takes in the message: by default its own, more where `encode` nests
 * the reply as an escaped string (a Lambda response's `body`).
 */
export function accountsThatFit(
  reply: PortraitGetResponse,
  encode: (reply: PortraitGetResponse) => string,
  maxBytes: number,
  measure: (json: string) => number = byteLength,
): number {
  const fixedBytes = byteLength(encode({ ...reply, UserProfileItem: [], Fail_Account: [] }));
  let largest = 0;
  for (const item of reply.UserProfileItem ?? []) {
    const failEntry = item.ResultCode === 0 ? 0 : measure(JSON.stringify(item.To_Account)) + 1;
    largest = Math.max(largest, measure(JSON.stringify(item)) + 1 + failEntry);
  }
  if (largest === 0) return 0;
  return Math.max(0, Math.floor((maxBytes - fixedBytes) / largest));
}
