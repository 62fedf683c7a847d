import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cacheableChanges,
  MAX_STRING_VALUE_BYTES,
  parseCallbackBody,
  valueProblem,
} from '../../../shared/callback/callback-commands.ts';
import { MAX_CUSTOM_TAGS, STANDARD_TAGS } from '../../../shared/tencent/profile-tags.ts';

const portraitSet = {
  CallbackCommand: 'Profile.CallbackPortraitSet',
  Operator_Account: 'admin',
  From_Account: 'alice',
  EventTime: 1669872112345,
  ProfileItem: [
    { Tag: 'Tag_Profile_IM_Nick', Value: 'Alice' },
    { Tag: 'Tag_Profile_IM_Level', Value: 3 },
  ],
};

const overLimit = {
  CallbackCommand: 'Alert.RequestOverLimit',
  ServiceName: 'openim',
  Command: 'batchsendmsg',
  Request: 510,
  Limit: 200,
};

describe('parseCallbackBody', () => {
  it("reads Tencent's documented Profile.CallbackPortraitSet", () => {
    // Act
    const command = parseCallbackBody(JSON.stringify(portraitSet));

    // Assess
    expect(command).toEqual({ kind: 'portrait-set', event: portraitSet });
  });

  it("reads Tencent's documented Alert.RequestOverLimit", () => {
    // Act
    const command = parseCallbackBody(JSON.stringify(overLimit));

    // Assess
    expect(command).toEqual({ kind: 'request-over-limit', alert: overLimit });
  });

  it('passes any other command through by name, to be acknowledged and ignored', () => {
    // Act
    const command = parseCallbackBody(
      JSON.stringify({ CallbackCommand: 'State.StateChange', Info: { Action: 'Login' } }),
    );

    // Assess
    expect(command).toEqual({ kind: 'other', command: 'State.StateChange' });
  });

  describe.each([
    { case: 'a body that is not JSON', body: '{"CallbackCommand":', command: undefined, says: /not JSON/ },
    { case: 'no CallbackCommand', body: '{}', command: undefined, says: /CallbackCommand/ },
    {
      case: 'a portrait change without EventTime',
      body: JSON.stringify({ ...portraitSet, EventTime: undefined }),
      command: 'Profile.CallbackPortraitSet',
      says: /EventTime/,
    },
    {
      case: 'a portrait change without From_Account',
      body: JSON.stringify({ ...portraitSet, From_Account: undefined }),
      command: 'Profile.CallbackPortraitSet',
      says: /From_Account/,
    },
    {
      case: 'a portrait change whose value is an object',
      body: JSON.stringify({ ...portraitSet, ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: {} }] }),
      command: 'Profile.CallbackPortraitSet',
      says: /ProfileItem\.0\.Value/,
    },
    {
      case: 'an alert without its rate',
      body: JSON.stringify({ ...overLimit, Request: undefined }),
      command: 'Alert.RequestOverLimit',
      says: /Request/,
    },
  ])('$case', ({ body, command, says }) => {
    it('is malformed, naming the field', () => {
      // Act
      const parsed = parseCallbackBody(body);

      // Assess
      expect(parsed).toMatchObject({ kind: 'malformed', command });
      expect(parsed.kind === 'malformed' && parsed.problem).toMatch(says);
    });
  });

  it('names only the first three problems of a body with thousands, and how many more there are', () => {
    // Prepare
    const items = Array.from({ length: 5_000 }, () => ({ Tag: 'Tag_Profile_IM_Nick', Value: {} }));

    // Act
    const parsed = parseCallbackBody(JSON.stringify({ ...portraitSet, ProfileItem: items }));

    // Assess
    const problem = parsed.kind === 'malformed' ? parsed.problem : '';
    expect(problem.match(/ProfileItem\.\d+\.Value/g)).toEqual([
      'ProfileItem.0.Value',
      'ProfileItem.1.Value',
      'ProfileItem.2.Value',
    ]);
    expect(problem).toMatch(/and 4997 more$/);
  });
});

const tagsOfType = (type: 'string' | 'uint32') =>
  Object.entries(STANDARD_TAGS)
    .filter(([, tagType]) => tagType === type)
    .map(([tag]) => tag);
const UINT32_TAGS = tagsOfType('uint32');
const STRING_TAGS = [...tagsOfType('string'), 'Tag_Profile_Custom_Hobby'];

describe('cacheableChanges', () => {
  it('keeps the tags the gateway can serve, the last value of a repeated tag, in first-seen order', () => {
    // Prepare
    const items = [
      { Tag: 'Tag_Profile_IM_Nick', Value: 'first' },
      { Tag: 'Tag_Profile_Custom_Hobby', Value: 'chess' },
      { Tag: 'Tag_Profile_IM_Unheard', Value: 'x' },
      { Tag: 'Tag_Profile_IM_Nick', Value: 'second' },
    ];

    // Act
    const { changes, dropped } = cacheableChanges(items);

    // Assess
    expect(changes).toEqual([
      { Tag: 'Tag_Profile_IM_Nick', Value: 'second' },
      { Tag: 'Tag_Profile_Custom_Hobby', Value: 'chess' },
    ]);
    expect(dropped).toEqual([]);
  });

  it("drops a tag whose last value does not fit it, keeping the change's other tags", () => {
    // Prepare
    const items = [
      { Tag: 'Tag_Profile_IM_Level', Value: 3 },
      { Tag: 'Tag_Profile_IM_Nick', Value: 'Alice' },
      { Tag: 'Tag_Profile_IM_Level', Value: '4' },
    ];

    // Act
    const { changes, dropped } = cacheableChanges(items);

    // Assess
    expect(changes).toEqual([{ Tag: 'Tag_Profile_IM_Nick', Value: 'Alice' }]);
    expect(dropped).toEqual([{ Tag: 'Tag_Profile_IM_Level', problem: expect.stringMatching(/number/) }]);
  });

  it('keeps every standard tag and the first 20 custom tags seen, counting the distinct others as ignored', () => {
    // Prepare
    const custom = (i: number) => ({ Tag: `Tag_Profile_Custom_c${i}`, Value: `v${i}` });
    const standard = Object.keys(STANDARD_TAGS).map((Tag) => ({
      Tag,
      Value: STANDARD_TAGS[Tag as keyof typeof STANDARD_TAGS] === 'uint32' ? 1 : 's',
    }));
    const items = [
      ...Array.from({ length: 30 }, (_, i) => custom(i)),
      ...standard,
      { Tag: 'Tag_Profile_Custom_c3', Value: 'latest' },
      custom(25),
    ];

    // Act
    const { changes, ignored } = cacheableChanges(items);

    // Assess
    expect(changes.filter((change) => change.Tag.startsWith('Tag_Profile_Custom_'))).toEqual(
      Array.from({ length: MAX_CUSTOM_TAGS }, (_, i) =>
        i === 3 ? { ...custom(3), Value: 'latest' } : custom(i),
      ),
    );
    expect(changes.filter((change) => change.Tag.startsWith('Tag_Profile_IM_'))).toEqual(standard);
    expect(ignored).toBe(30 - MAX_CUSTOM_TAGS);
  });

  it('never keeps more tags than an app can have, whatever a forged body lists', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            Tag: fc.oneof(
              fc.constantFrom(...Object.keys(STANDARD_TAGS)),
              fc.stringMatching(/^[A-Za-z0-9_]{1,16}$/).map((keyword) => `Tag_Profile_Custom_${keyword}`),
            ),
            Value: fc.oneof(fc.string(), fc.nat()),
          }),
          { maxLength: 200 },
        ),
        (items) => {
          // Act
          const { changes, dropped, ignored } = cacheableChanges(items);

          // Assess
          const kept = changes.length + dropped.length;
          expect(kept).toBeLessThanOrEqual(Object.keys(STANDARD_TAGS).length + MAX_CUSTOM_TAGS);
          expect(kept + ignored).toBe(new Set(items.map((item) => item.Tag)).size);
        },
      ),
    );
  });
});

describe('valueProblem', () => {
  describe.each([
    { case: 'a uint32 tag sent a decimal string', tag: 'Tag_Profile_IM_Level', value: '3' },
    { case: 'a uint32 tag sent a negative number', tag: 'Tag_Profile_IM_Role', value: -1 },
    { case: 'a uint32 tag sent a fraction', tag: 'Tag_Profile_IM_BirthDay', value: 20190419.5 },
    { case: 'a uint32 tag sent 2^32', tag: 'Tag_Profile_IM_Language', value: 2 ** 32 },
    { case: 'a string tag sent a number', tag: 'Tag_Profile_IM_Nick', value: 7 },
    { case: 'a custom tag sent a number', tag: 'Tag_Profile_Custom_Hobby', value: 7 },
    {
      case: 'a string of 501 bytes',
      tag: 'Tag_Profile_IM_SelfSignature',
      value: 'x'.repeat(MAX_STRING_VALUE_BYTES + 1),
    },
    { case: 'a string of 250 characters, 750 bytes', tag: 'Tag_Profile_IM_Nick', value: '名'.repeat(250) },
  ])('$case', ({ tag, value }) => {
    it('is a problem, named without the value', () => {
      // Act
      const problem = valueProblem(tag, value);

      // Assess
      expect(problem).toMatch(/^(a (uint32|string) tag needs|the string is longer)/);
      expect(problem?.length).toBeLessThan(80);
    });
  });

  it('accepts every whole number from 0 to 2^32-1 for a uint32 tag', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...UINT32_TAGS),
        fc.oneof(fc.constantFrom(0, 0xffff_ffff), fc.integer({ min: 0, max: 0xffff_ffff })),
        (tag, value) => {
          // Act / Assess
          expect(valueProblem(tag, value)).toBeUndefined();
        },
      ),
    );
  });

  it('accepts every string of at most 500 UTF-8 bytes for a string tag', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STRING_TAGS),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        (tag, value) => {
          // Prepare
          const fits = Buffer.byteLength(value, 'utf8') <= MAX_STRING_VALUE_BYTES;

          // Act
          const problem = valueProblem(tag, value);

          // Assess
          expect(problem === undefined).toBe(fits);
        },
      ),
    );
  });

  it('accepts a string of exactly 500 bytes', () => {
    // Act
    const problem = valueProblem('Tag_Profile_IM_Image', `https://${'a'.repeat(MAX_STRING_VALUE_BYTES - 8)}`);

    // Assess
    expect(problem).toBeUndefined();
  });
});
