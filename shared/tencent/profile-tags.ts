/** Profile field tags of portrait_get and the JSON type of their values (docs/tencent.md, "Profile tags"). */

export type TagValueType = 'string' | 'uint32';

/** The twelve standard tags Tencent defines, with the JSON type of their values. */
export const STANDARD_TAGS = {
  Tag_Profile_IM_Nick: 'string',
  Tag_Profile_IM_Gender: 'string',
  Tag_Profile_IM_BirthDay: 'uint32',
  Tag_Profile_IM_Location: 'string',
  Tag_Profile_IM_SelfSignature: 'string',
  Tag_Profile_IM_AllowType: 'string',
  Tag_Profile_IM_Language: 'uint32',
  Tag_Profile_IM_Image: 'string',
  Tag_Profile_IM_MsgSettings: 'uint32',
  Tag_Profile_IM_AdminForbidType: 'string',
  Tag_Profile_IM_Level: 'uint32',
  Tag_Profile_IM_Role: 'uint32',
} as const satisfies Record<string, TagValueType>;

export type StandardTag = keyof typeof STANDARD_TAGS;

/** The most custom profile fields one app can define in Tencent's console (docs/webhooks.md, "Limits"). */
export const MAX_CUSTOM_TAGS = 20;

export const STANDARD_TAG_PREFIX = 'Tag_Profile_IM_';
export const CUSTOM_TAG_PREFIX = 'Tag_Profile_Custom_';

/**
 * Tencent's docs disagree on the custom keyword (letters ≤ 8 bytes, or letters, digits and `_`
 * ≤ 16 characters): the looser rule is accepted so no app's real field is refused.
 */
const CUSTOM_TAG = /^Tag_Profile_Custom_[A-Za-z0-9_]{1,16}$/;

export function isStandardTag(tag: string): tag is StandardTag {
  return Object.hasOwn(STANDARD_TAGS, tag);
}

/** Whether `tag` is `Tag_Profile_Custom_<keyword>` with a keyword of 1–16 of `[A-Za-z0-9_]`. */
export function isCustomTag(tag: string): boolean {
  return CUSTOM_TAG.test(tag);
}

/** Whether `tag` is a standard tag or well-formed custom tag (the app may still not define it: 40009). */
export function isKnownTagShape(tag: string): boolean {
  return isStandardTag(tag) || isCustomTag(tag);
}

/** The JSON type of a tag's value: custom fields hold strings; undefined for a malformed tag. */
export function tagValueType(tag: string): TagValueType | undefined {
  if (isStandardTag(tag)) return STANDARD_TAGS[tag];
  return isCustomTag(tag) ? 'string' : undefined;
}
