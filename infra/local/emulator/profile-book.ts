import type { ProfileItem, ProfileValue } from '../../../shared/tencent/portrait-types.ts';
import { isCustomTag, isStandardTag, tagValueType } from '../../../shared/tencent/profile-tags.ts';
import { EmulatorConfigError } from './emulator-config-error.ts';
import { isJsonObject, isUint32 } from './json-values.ts';

/** The emulated app's profile fields (standard tags plus its configured custom tags) and its profiles. */
export class ProfileBook {
  readonly #customTags: ReadonlySet<string>;
  readonly #profiles = new Map<string, ReadonlyMap<string, ProfileValue>>();

  /**
   * `customTags` defaults to every custom tag used in `profiles`. Throws {@link EmulatorConfigError}
   * for a custom tag that is not `Tag_Profile_Custom_<keyword>` or a profile {@link set} refuses.
   */
  constructor(profiles: Record<string, ProfileItem[]>, customTags: string[] = customTagsIn(profiles)) {
    this.#customTags = new Set(customTags);
    for (const tag of this.#customTags) {
      if (!isCustomTag(tag))
        throw new EmulatorConfigError(`customTags: ${tag} is not a Tag_Profile_Custom_<keyword>`);
    }
    for (const [account, items] of Object.entries(profiles)) this.set(account, items);
  }

  /** Whether `tag` is a profile field of this app. */
  knowsTag(tag: string): boolean {
    return isStandardTag(tag) || this.#customTags.has(tag);
  }

  /** The account's profile by tag; undefined for an account that has none. */
  profile(account: string): ReadonlyMap<string, ProfileValue> | undefined {
    return this.#profiles.get(account);
  }

  /** Replaces an account's profile; values must have their tag's type (uint32 tags: numbers). */
  set(account: string, items: ProfileItem[]): void {
    if (typeof account !== 'string' || account.length === 0)
      throw new EmulatorConfigError('an account is a non-empty string');
    if (!Array.isArray(items))
      throw new EmulatorConfigError(`the profile of ${account} must be a list of items`);
    const profile = new Map<string, ProfileValue>();
    for (const item of items as unknown[]) {
      if (!isJsonObject(item) || typeof item.Tag !== 'string')
        throw new EmulatorConfigError(`the profile of ${account} holds an item without a Tag`);
      const { Tag: tag, Value: value } = item;
      if (!this.knowsTag(tag))
        throw new EmulatorConfigError(`${tag} is not a field of this app (customTags?)`);
      const typeOk = tagValueType(tag) === 'uint32' ? isUint32(value) : typeof value === 'string';
      if (!typeOk) throw new EmulatorConfigError(`${account}: ${tag} needs a ${tagValueType(tag)} value`);
      profile.set(tag, value as ProfileValue);
    }
    this.#profiles.set(account, profile);
  }
}

function customTagsIn(profiles: Record<string, ProfileItem[]>): string[] {
  const tags = new Set<string>();
  for (const items of Object.values(profiles)) {
    for (const item of items) if (isCustomTag(item.Tag)) tags.add(item.Tag);
  }
  return [...tags];
}
