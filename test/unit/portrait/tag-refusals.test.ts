import { describe, expect, it } from 'vitest';
import { TencentApiError, TencentTransportError } from '../../../shared/errors.ts';
import { asTransient, refusesTags, TagRefusals } from '../../../shared/portrait/tag-refusals.ts';

const APP = 1_400_000_000;
const NICK = 'Tag_Profile_IM_Nick';
const BOGUS = 'Tag_Profile_Custom_Nope';
const ROLE = 'Tag_Profile_IM_Role';
const unknownTag = () => new TencentApiError(40009, 'Err_Profile_Tag_Not_Exist');

describe('refusesTags', () => {
  describe.each<{ code: number; tags: string[]; refuses: boolean }>([
    { code: 40009, tags: [NICK, BOGUS], refuses: true },
    { code: 40007, tags: [BOGUS], refuses: true },
    { code: 40009, tags: ['Tag_Profile_IM_Unknown'], refuses: true },
    { code: 40009, tags: [NICK, ROLE], refuses: false },
    { code: 40007, tags: [ROLE], refuses: false },
    { code: 40001, tags: [BOGUS], refuses: false },
  ])('$code for $tags', ({ code, tags, refuses }) => {
    it(refuses ? 'is a refusal of the tag list' : 'is no refusal of the tag list', () => {
      expect(refusesTags(code, tags)).toBe(refuses);
    });
  });
});

describe('asTransient', () => {
  it('makes a 40009 on standard tags only a transient error of the same code, with the original as cause', () => {
    const refusal = unknownTag();

    const transient = asTransient(refusal, [ROLE]);

    expect(transient).toBeInstanceOf(TencentApiError);
    expect(transient).toMatchObject({ code: 40009, disposition: 'retry', retryable: true, cause: refusal });
  });

  it.each([
    ['a 40009 with a custom tag', unknownTag(), [ROLE, BOGUS]],
    ['another code on standard tags', new TencentApiError(40001, 'To_Account'), [ROLE]],
    ['a transport failure', new TencentTransportError('timeout', 'timed out'), [ROLE]],
  ])('leaves %s as it is', (_case, error, tags) => {
    expect(asTransient(error, tags)).toBe(error);
  });
});

describe('TagRefusals', () => {
  it('answers a refused tag list, in any order, until the refusal is ttl old', () => {
    const refusals = new TagRefusals(60_000);
    const error = unknownTag();
    refusals.remember(APP, [NICK, BOGUS], error, 0);

    expect(refusals.check(APP, [BOGUS, NICK], 59_999)).toBe(error);
    expect(refusals.check(APP, [BOGUS, NICK], 60_000)).toBeUndefined();
  });

  it('keeps apps and tag lists apart', () => {
    const refusals = new TagRefusals();
    refusals.remember(APP, [BOGUS], unknownTag(), 0);

    expect(refusals.check(APP + 1, [BOGUS], 1)).toBeUndefined();
    expect(refusals.check(APP, [BOGUS, NICK], 1)).toBeUndefined();
  });

  it.each([
    ['a transient failure', new TencentTransportError('timeout', 'timed out')],
    ['a rate-limit refusal', new TencentApiError(60007, 'too frequent')],
    ['a bad account', new TencentApiError(40001, 'To_Account')],
    ["a 40009 on standard tags only (Tencent's transient error)", unknownTag()],
  ])('forgets %s: only refusals of the tag list are remembered', (_case, error) => {
    const refusals = new TagRefusals();

    refusals.remember(APP, [NICK, ROLE], error, 0);

    expect(refusals.check(APP, [NICK, ROLE], 1)).toBeUndefined();
  });

  it('holds at most maxEntries tag lists, forgetting the oldest', () => {
    const refusals = new TagRefusals(60_000, 2);
    for (const tag of ['Tag_Profile_Custom_A', 'Tag_Profile_Custom_B', 'Tag_Profile_Custom_C'])
      refusals.remember(APP, [tag], unknownTag(), 0);

    expect(refusals.check(APP, ['Tag_Profile_Custom_A'], 1)).toBeUndefined();
    expect(refusals.check(APP, ['Tag_Profile_Custom_B'], 1)).toBeDefined();
    expect(refusals.check(APP, ['Tag_Profile_Custom_C'], 1)).toBeDefined();
  });

  it('counts a refusal remembered again as the newest', () => {
    const refusals = new TagRefusals(60_000, 2);
    refusals.remember(APP, ['Tag_Profile_Custom_A'], unknownTag(), 0);
    refusals.remember(APP, ['Tag_Profile_Custom_B'], unknownTag(), 0);
    refusals.remember(APP, ['Tag_Profile_Custom_A'], unknownTag(), 1);

    refusals.remember(APP, ['Tag_Profile_Custom_C'], unknownTag(), 2);

    expect(refusals.check(APP, ['Tag_Profile_Custom_A'], 3)).toBeDefined();
    expect(refusals.check(APP, ['Tag_Profile_Custom_B'], 3)).toBeUndefined();
  });

  it('keeps apart tag lists whose names run together alike', () => {
    const refusals = new TagRefusals();
    refusals.remember(APP, ['Tag_A', 'Tag_B'], unknownTag(), 0);

    expect(refusals.check(APP, ['Tag_ATag_B'], 1)).toBeUndefined();
  });
});
