import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { DEMO_CREDENTIALS, demoAccountName } from '../infra/local/demo-profiles.ts';
import { callbackSign } from '../shared/tencent/callback-signature.ts';
import { startGatewayProcess } from '../test/support/gateway-process.ts';
import { TAGS } from './workload.ts';

/**
 * Custom tags per webhook: 1,300 (a 60 KiB body, just under the largest read, so its first 20 tags
 * are written), then the cases of issue #13: 10,000 (458 KiB), 20,000 (0.9 MiB), 180,000 (8.3 MiB).
 */
export const FLOOD_TAG_COUNTS = [1_300, 10_000, 20_000, 180_000] as const;
/** Tencent waits 2 s for a webhook's answer; past this the bench stops waiting (the old code hung). */
const GIVE_UP_MS = 30_000;
/** A read every 50 ms while the webhook is in flight, to see whether it holds reads up. */
const READ_EVERY_MS = 50;
const TOKEN = 'flood-token';

export interface FloodCase {
  tags: number;
  bodyBytes: number;
  /** HTTP status of the webhook's answer; undefined when none came within {@link GIVE_UP_MS}. */
  status: number | undefined;
  ackMs: number;
  /** The slowest read of a cached account sent while the webhook was in flight. */
  slowestReadMs: number;
  reads: number;
  /** The gateway process's peak resident memory (VmHWM), its start included. */
  peakRssMiB: number;
}

/** A signed `Profile.CallbackPortraitSet` of `tags` distinct custom tags for `account`. */
function floodBody(account: string, tags: number): string {
  const items = Array.from({ length: tags }, (_, i) => ({ Tag: `Tag_Profile_Custom_f${i}`, Value: 'x' }));
  return JSON.stringify({
    CallbackCommand: 'Profile.CallbackPortraitSet',
    From_Account: account,
    EventTime: Date.now(),
    ProfileItem: items,
  });
}

function webhookUrl(base: string): string {
  const requestTime = String(Math.floor(Date.now() / 1000));
  const query = new URLSearchParams({
    SdkAppid: String(DEMO_CREDENTIALS.sdkAppId),
    CallbackCommand: 'Profile.CallbackPortraitSet',
    contenttype: 'json',
    RequestTime: requestTime,
    Sign: callbackSign(TOKEN, requestTime),
  });
  return `${base}/tencent-im/callback?${query}`;
}

/** A read of `accounts` from the gateway; resolves with its status once the whole reply arrived. */
async function read(base: string, accounts: string[]): Promise<number> {
  const response = await fetch(`${base}/v4/profile/portrait_get`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ To_Account: accounts, TagList: TAGS }),
  });
  await response.arrayBuffer();
  return response.status;
}

const peakRssMiB = (pid: number | undefined): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
};

/** One webhook of `tags` custom tags to a fresh `npm start` gateway, reads of a cached account alongside. */
async function floodOnce(tags: number): Promise<FloodCase> {
  const gateway = await startGatewayProcess({ env: { TIM_CALLBACK_TOKEN: TOKEN }, args: ['--quiet'] });
  try {
    const target = demoAccountName(1);
    const reader = [demoAccountName(2)];
    await read(gateway.url, [target]);
    await read(gateway.url, reader);
    const body = floodBody(target, tags);
    let inFlight = true;
    const readTimes: number[] = [];
    let pendingSince: number | undefined;
    const reads = (async () => {
      while (inFlight) {
        pendingSince = performance.now();
        await read(gateway.url, reader).catch(() => undefined);
        readTimes.push(performance.now() - pendingSince);
        pendingSince = undefined;
        await delay(READ_EVERY_MS);
      }
    })();
    const started = performance.now();
    const status = await fetch(webhookUrl(gateway.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(GIVE_UP_MS),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      })
      .catch(() => undefined);
    const ackMs = performance.now() - started;
    inFlight = false;
    const giveUp = new AbortController();
    await Promise.race([reads, delay(GIVE_UP_MS, undefined, { signal: giveUp.signal }).catch(() => {})]);
    giveUp.abort();
    // A read still unanswered counts for as long as it has waited.
    if (pendingSince !== undefined) readTimes.push(performance.now() - pendingSince);
    return {
      tags,
      bodyBytes: Buffer.byteLength(body),
      status,
      ackMs,
      slowestReadMs: Math.max(0, ...readTimes),
      reads: readTimes.length,
      peakRssMiB: peakRssMiB(gateway.pid),
    };
  } finally {
    await gateway.stop('SIGKILL');
  }
}

/**
 * Issue #13's webhook flood: for each of {@link FLOOD_TAG_COUNTS}, a fresh local gateway gets one
 * signed profile change of that many custom tags for a cached account while a cached read runs every
 * 50 ms; how long the acknowledgement took, the slowest read meanwhile, and the process's peak memory.
 */
export async function runWebhookFlood(): Promise<FloodCase[]> {
  const cases: FloodCase[] = [];
  for (const tags of FLOOD_TAG_COUNTS) cases.push(await floodOnce(tags));
  return cases;
}
