import { TencentApiError, TencentProtocolError } from '../errors.ts';
import { isJsonObject, parseJsonObject } from '../json-object.ts';
import type { PortraitGetResponse, ProfileItem, UserProfileItem } from '../tencent/portrait-types.ts';

const protocolError = (what: string): TencentProtocolError =>
  new TencentProtocolError(`Tencent's portrait_get reply is malformed: ${what}`);

/**
 * Turns Tencent's body into a typed reply. A non-zero `ErrorCode` is an API error whatever
 * `ActionStatus` says (the code is what the table interprets); `FAIL` with code 0 is malformed.
 */
export function parsePortraitReply(body: string): PortraitGetResponse {
  const parsed = parseJsonObject(body);
  if (!parsed.ok) {
    throw protocolError(
      parsed.problem === 'not-json'
        ? `the body is not JSON (${body.length} characters)`
        : 'the body is not a JSON object',
    );
  }
  const json = parsed.value;
  const { ActionStatus, ErrorCode, ErrorInfo, ErrorDisplay } = json;
  if (ActionStatus !== 'OK' && ActionStatus !== 'FAIL')
    throw protocolError('ActionStatus is neither OK nor FAIL');
  // Stryker disable next-line ConditionalExpression: Number.isInteger refuses what is no number as well; this narrows the type
  if (typeof ErrorCode !== 'number' || !Number.isInteger(ErrorCode))
    throw protocolError('ErrorCode is not an integer');
  const errorInfo = typeof ErrorInfo === 'string' ? ErrorInfo : '';
  if (ErrorCode !== 0) throw new TencentApiError(ErrorCode, errorInfo);
  if (ActionStatus === 'FAIL') throw protocolError('ActionStatus is FAIL with ErrorCode 0');
  if (!Array.isArray(json.UserProfileItem)) throw protocolError('UserProfileItem is not a list');
  const response: PortraitGetResponse = {
    UserProfileItem: json.UserProfileItem.map(parseUserProfileItem),
    ActionStatus,
    ErrorCode,
    ErrorInfo: errorInfo,
    ...(typeof ErrorDisplay === 'string' && { ErrorDisplay }),
  };
  if (json.Fail_Account !== undefined) {
    const failed = json.Fail_Account;
    if (!Array.isArray(failed) || !failed.every((account) => typeof account === 'string')) {
      throw protocolError('Fail_Account is not a list of UserIDs');
    }
    response.Fail_Account = failed;
  }
  return response;
}

function parseUserProfileItem(item: unknown, index: number): UserProfileItem {
  if (!isJsonObject(item)) throw protocolError(`UserProfileItem[${index}] is not an object`);
  const { To_Account, ResultCode, ResultInfo, ProfileItem: profile } = item;
  if (typeof To_Account !== 'string')
    throw protocolError(`UserProfileItem[${index}].To_Account is not a string`);
  // Stryker disable next-line ConditionalExpression: Number.isInteger refuses what is no number as well; this narrows the type
  if (typeof ResultCode !== 'number' || !Number.isInteger(ResultCode)) {
    throw protocolError(`UserProfileItem[${index}].ResultCode is not an integer`);
  }
  const parsed: UserProfileItem = {
    To_Account,
    ResultCode,
    ResultInfo: typeof ResultInfo === 'string' ? ResultInfo : '',
  };
  if (profile !== undefined) {
    if (!Array.isArray(profile)) throw protocolError(`UserProfileItem[${index}].ProfileItem is not a list`);
    parsed.ProfileItem = profile.map((entry, at) =>
      parseProfileItem(entry, `UserProfileItem[${index}].ProfileItem[${at}]`),
    );
  }
  return parsed;
}

function parseProfileItem(entry: unknown, where: string): ProfileItem {
  if (!isJsonObject(entry) || typeof entry.Tag !== 'string') throw protocolError(`${where} has no Tag`);
  const { Tag, Value } = entry;
  if (typeof Value !== 'string' && typeof Value !== 'number') {
    throw protocolError(`${where}.Value is neither a string nor a number`);
  }
  return { Tag, Value };
}
