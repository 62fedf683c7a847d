import type { GetOptions, ServeStats } from '../../shared/portrait/portrait-result.ts';
import { PortraitService, type PortraitServiceDeps } from '../../shared/portrait/portrait-service.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { InMemoryProfileCache, type InMemoryProfileCacheOptions } from './in-memory-profile-cache.ts';
import { ManualClock } from './manual-clock.ts';
import { ScriptedPortraitClient, tagValue } from './scripted-portrait-client.ts';
import { ScriptedRateLimiter } from './scripted-rate-limiter.ts';
import { foundItem, okReply } from './tencent-doc-examples.ts';

export const APP = 1_400_000_000;
export const NICK = 'Tag_Profile_IM_Nick';
export const GENDER = 'Tag_Profile_IM_Gender';

/** `count` accounts named `<prefix><i>`. */
export const accounts = (count: number, prefix = 'user'): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

export interface FakesOptions {
  deps?: Partial<PortraitServiceDeps>;
  cache?: Omit<InMemoryProfileCacheOptions, 'now'>;
}

/**
 * A PortraitService on in-memory parts, with a clock that moves only when the service waits.
 * The early refresh is off unless `deps` turn it on, so that what a test asks of the cache is
 * what it gets.
 */
export function serviceOnFakes(options: FakesOptions = {}) {
  const clock = new ManualClock();
  const cache = new InMemoryProfileCache({ now: clock.now, ...options.cache });
  const limiter = new ScriptedRateLimiter({ now: clock.now });
  const client = new ScriptedPortraitClient({ sdkAppId: APP, advance: (ms) => clock.advance(ms) });
  const service = new PortraitService({
    client,
    cache,
    limiter,
    now: clock.now,
    sleep: clock.sleep,
    earlyRefreshMs: 0,
    ...options.deps,
  });
  let stats: ServeStats | undefined;
  /** `service.get` for `tags` (default the nickname), `withinMs` before its deadline. */
  const get = (
    wanted: readonly string[],
    getOptions: Partial<GetOptions> & { tags?: string[]; withinMs?: number } = {},
  ) =>
    service.get(wanted, getOptions.tags ?? [NICK], {
      deadlineMs: clock.now() + (getOptions.withinMs ?? 5000),
      onStats: (told) => {
        stats = told;
      },
      ...(getOptions.cache && { cache: getOptions.cache }),
    });
  /** The accounts a default read would now serve from the cache without asking Tencent. */
  const cached = async (wanted: readonly string[], tags: readonly string[] = [NICK]) =>
    [...(await cache.read(APP, wanted, tags, { mode: 'default' }))]
      .filter(([, entry]) => entry.freshForMs > 0)
      .map(([account]) => account);
  return { clock, cache, limiter, client, service, get, cached, stats: () => stats };
}

/** Tencent's reply for accounts answered with their values for `tags`. */
export const served = (wanted: readonly string[], tags: readonly string[] = [NICK]): PortraitGetResponse =>
  okReply(
    wanted.map((account) =>
      foundItem(
        account,
        tags.map((tag) => ({ Tag: tag, Value: tagValue(account, tag) })),
      ),
    ),
  );
