import type { PortraitGetResponse, UserProfileItem } from '../tencent/portrait-types.ts';
import { uniqueInOrder } from './chunking.ts';

/** Code for an account Tencent's reply left out: Tencent's "internal error", never cached. */
export const NO_ENTRY_CODE = 70500;

/**
 * Builds Tencent's reply for `accounts` (duplicates answered once, first-seen order) from the
 * items known per account. `Fail_Account` is present only when some account's ResultCode is not 0.
 */
export function replyFor(
  accounts: readonly string[],
  items: ReadonlyMap<string, UserProfileItem>,
): PortraitGetResponse {
  const UserProfileItem = uniqueInOrder(accounts).map(
    (account): UserProfileItem =>
      items.get(account) ?? {
        To_Account: account,
        ResultCode: NO_ENTRY_CODE,
        ResultInfo: 'Tencent returned no entry for this account',
      },
  );
  const failed = UserProfileItem.filter((item) => item.ResultCode !== 0).map((item) => item.To_Account);
  return {
    UserProfileItem,
    ...(failed.length > 0 && { Fail_Account: failed }),
    ActionStatus: 'OK',
    ErrorCode: 0,
    ErrorInfo: '',
    ErrorDisplay: '',
  };
}
