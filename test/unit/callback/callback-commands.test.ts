import { describe, expect, it } from 'vitest';
import { cacheableChanges, parseCallbackBody } from '../../../shared/callback/callback-commands.ts';

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
});

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
    const changes = cacheableChanges(items);

    // Assess
    expect(changes).toEqual([
      { Tag: 'Tag_Profile_IM_Nick', Value: 'second' },
      { Tag: 'Tag_Profile_Custom_Hobby', Value: 'chess' },
    ]);
  });
});
