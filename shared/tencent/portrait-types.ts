/** The wire shapes of Tencent's `v4/profile/portrait_get`, exactly as Tencent documents them. */

export type ProfileValue = string | number;

export interface ProfileItem {
  Tag: string;
  Value: ProfileValue;
}

export interface UserProfileItem {
  To_Account: string;
  ProfileItem?: ProfileItem[];
  ResultCode: number;
  ResultInfo: string;
}

export interface PortraitGetRequest {
  To_Account: string[];
  TagList: string[];
}

export type ActionStatus = 'OK' | 'FAIL';

/** Tencent's top-level envelope, shared by every REST reply and by the gateway's own errors. */
export interface TencentEnvelope {
  ActionStatus: ActionStatus;
  ErrorCode: number;
  ErrorInfo: string;
  ErrorDisplay?: string;
}

export interface PortraitGetResponse extends TencentEnvelope {
  UserProfileItem?: UserProfileItem[];
  Fail_Account?: string[];
}
