import { describe, expect, it } from 'vitest';
import {
  isCustomTag,
  isKnownTagShape,
  isStandardTag,
  STANDARD_TAGS,
  tagValueType,
} from '../../../shared/tencent/profile-tags.ts';

/** docs/tencent.md, "Profile tags", written out independently of the module. */
const REFERENCE_TAGS = [
  ['Tag_Profile_IM_Nick', 'string'],
  ['Tag_Profile_IM_Gender', 'string'],
  ['Tag_Profile_IM_BirthDay', 'uint32'],
  ['Tag_Profile_IM_Location', 'string'],
  ['Tag_Profile_IM_SelfSignature', 'string'],
  ['Tag_Profile_IM_AllowType', 'string'],
  ['Tag_Profile_IM_Language', 'uint32'],
  ['Tag_Profile_IM_Image', 'string'],
  ['Tag_Profile_IM_MsgSettings', 'uint32'],
  ['Tag_Profile_IM_AdminForbidType', 'string'],
  ['Tag_Profile_IM_Level', 'uint32'],
  ['Tag_Profile_IM_Role', 'uint32'],
] as const;

describe('profile tags', () => {
  it('lists exactly the twelve standard tags of the reference', () => {
    // Assess
    expect(Object.entries(STANDARD_TAGS).sort()).toEqual([...REFERENCE_TAGS].sort());
  });

  it.each(REFERENCE_TAGS)('types %s as %s', (tag, type) => {
    // Assess
    expect(isStandardTag(tag)).toBe(true);
    expect(isKnownTagShape(tag)).toBe(true);
    expect(tagValueType(tag)).toBe(type);
  });

  it.each(['Tag_Profile_Custom_Test', 'Tag_Profile_Custom_a', 'Tag_Profile_Custom_0123456789_abcde'])(
    'accepts the custom tag %s, typed string',
    (tag) => {
      // Assess
      expect(isCustomTag(tag)).toBe(true);
      expect(isKnownTagShape(tag)).toBe(true);
      expect(tagValueType(tag)).toBe('string');
    },
  );

  it.each([
    'Tag_Profile_Custom_',
    'Tag_Profile_Custom_0123456789_abcdef',
    'Tag_Profile_Custom_bad-name',
    'Tag_Profile_Custom_ü',
    'Tag_Profile_IM_Unknown',
    'toString',
    'constructor',
    '',
  ])('refuses the malformed tag %j', (tag) => {
    // Assess
    expect(isKnownTagShape(tag)).toBe(false);
    expect(tagValueType(tag)).toBeUndefined();
  });
});
