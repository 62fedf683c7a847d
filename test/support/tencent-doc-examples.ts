import { DEMO_CUSTOM_TAGS, DEMO_PROFILES } from '../../infra/local/demo-profiles.ts';
import type { EmulatorOptions, Faults } from '../../infra/local/emulator.ts';
import type {
  PortraitGetRequest,
  PortraitGetResponse,
  ProfileItem,
  UserProfileItem,
} from '../../shared/tencent/portrait-types.ts';

/** The accounts of Tencent's portrait_get examples (docs/tencent.md, "portrait_get"). */
export const DOC_PROFILES: Readonly<Record<string, ProfileItem[]>> = {
  id1: [
    { Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest1' },
    { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Male' },
    { Tag: 'Tag_Profile_IM_BirthDay', Value: 20190419 },
    { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom1' },
  ],
  id2: [
    { Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest2' },
    { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Female' },
    { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom2' },
  ],
  id3: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest3' }],
  id4: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest4' }],
};

/** The custom fields the examples' app defines; `Tag_Profile_Custom_Unset` is set on no account. */
export const DOC_CUSTOM_TAGS: readonly string[] = ['Tag_Profile_Custom_Test', 'Tag_Profile_Custom_Unset'];

/** Emulator profiles and custom fields of the demo app and of the examples' accounts together. */
export const DEMO_AND_DOC_ACCOUNTS: Pick<EmulatorOptions, 'profiles' | 'customTags'> = {
  profiles: { ...DEMO_PROFILES, ...DOC_PROFILES },
  customTags: [...DEMO_CUSTOM_TAGS, ...DOC_CUSTOM_TAGS],
};

/** A top-level OK reply; `Fail_Account` only when `failed` is given, as Tencent documents. */
export const okReply = (items: UserProfileItem[], failed?: string[]): PortraitGetResponse => ({
  UserProfileItem: items,
  ...(failed && { Fail_Account: failed }),
  ActionStatus: 'OK',
  ErrorCode: 0,
  ErrorInfo: '',
  ErrorDisplay: '',
});

/** The reply item of an account that was read. */
export const foundItem = (account: string, items: ProfileItem[]): UserProfileItem => ({
  To_Account: account,
  ProfileItem: items,
  ResultCode: 0,
  ResultInfo: '',
});

/** The nick of example account `id<n>`. */
export const docNick = (n: number): ProfileItem => ({
  Tag: 'Tag_Profile_IM_Nick',
  Value: `NickNameTest${n}`,
});

/** One of the examples: the request, the faults the emulator needs to play it, the exact reply. */
export interface DocExample {
  /** At most 40 characters: vitest cuts longer `$name`s in test titles. */
  name: string;
  request: PortraitGetRequest;
  faults?: Faults;
  reply: PortraitGetResponse;
}

/**
 * The four request examples of Tencent's portrait_get page on {@link DOC_PROFILES}, with the
 * replies every layer (client, HTTP handler, deployed gateway) must give for them.
 */
export const DOC_EXAMPLES: readonly DocExample[] = [
  {
    name: 'one tag of one user',
    request: { To_Account: ['id1'], TagList: ['Tag_Profile_IM_Nick'] },
    reply: okReply([foundItem('id1', [docNick(1)])]),
  },
  {
    name: 'many tags of one user, unset left out',
    request: {
      To_Account: ['id1'],
      TagList: [
        'Tag_Profile_IM_Nick',
        'Tag_Profile_IM_BirthDay',
        'Tag_Profile_IM_SelfSignature',
        'Tag_Profile_Custom_Test',
        'Tag_Profile_Custom_Unset',
      ],
    },
    reply: okReply([
      foundItem('id1', [
        docNick(1),
        { Tag: 'Tag_Profile_IM_BirthDay', Value: 20190419 },
        { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom1' },
      ]),
    ]),
  },
  {
    name: 'one tag of many users, in request order',
    request: { To_Account: ['id3', 'id1', 'id2'], TagList: ['Tag_Profile_IM_Nick'] },
    reply: okReply([
      foundItem('id3', [docNick(3)]),
      foundItem('id1', [docNick(1)]),
      foundItem('id2', [docNick(2)]),
    ]),
  },
  {
    name: 'many users, one failing: in Fail_Account',
    request: {
      To_Account: ['id1', 'id2', 'id4'],
      TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Gender', 'Tag_Profile_Custom_Test'],
    },
    faults: { failAccounts: { id4: 40006 } },
    reply: okReply(
      [
        foundItem('id1', [
          docNick(1),
          { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Male' },
          { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom1' },
        ]),
        foundItem('id2', [
          docNick(2),
          { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Female' },
          { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom2' },
        ]),
        { To_Account: 'id4', ResultCode: 40006, ResultInfo: 'Err_Profile_PortraitGet_Read_Custom_Data_Fail' },
      ],
      ['id4'],
    ),
  },
];
