/** Tencent Chat data centers and their REST domains (docs/tencent.md, "Regions and origins"). */
export const REGIONS = {
  china: { primary: 'console.tim.qq.com', backup: 'adminapi.my-imcloud.com' },
  singapore: { primary: 'adminapisgp.im.qcloud.com', backup: 'adminapisgp.my-imcloud.com' },
  seoul: { primary: 'adminapikr.im.qcloud.com', backup: 'adminapikr.my-imcloud.com' },
  tokyo: { primary: 'adminapijpn.im.qcloud.com', backup: 'adminapijpn.my-imcloud.com' },
  frankfurt: { primary: 'adminapiger.im.qcloud.com', backup: 'adminapiger.my-imcloud.com' },
  mumbai: { primary: 'adminapiind.im.qcloud.com', backup: 'adminapiind.my-imcloud.com' },
  'silicon-valley': { primary: 'adminapiusa.im.qcloud.com', backup: 'adminapiusa.my-imcloud.com' },
  jakarta: { primary: 'adminapiidn.im.qcloud.com', backup: 'adminapiidn.my-imcloud.com' },
} as const;

export type RegionName = keyof typeof REGIONS;

export const REGION_NAMES = Object.keys(REGIONS) as RegionName[];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Whether a host is on this machine, the only place plain http is allowed to go. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The origins to try, in order: an explicit base URL alone, or a region's primary then backup domain.
 * Throws when neither is given, or when a base URL is not https and not on loopback.
 */
export function upstreamOrigins(target: { region?: RegionName; baseUrl?: string }): string[] {
  if (target.baseUrl !== undefined) {
    const url = new URL(target.baseUrl);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      throw new Error(
        `TIM_BASE_URL must be https (plain http only for loopback hosts), got ${url.protocol}//`,
      );
    }
    return [url.origin];
  }
  if (target.region !== undefined) {
    const { primary, backup } = REGIONS[target.region];
    return [`https://${primary}`, `https://${backup}`];
  }
  throw new Error('no Tencent data center configured: set TIM_REGION or TIM_BASE_URL');
}
