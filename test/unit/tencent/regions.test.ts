import { describe, expect, it } from 'vitest';
import { isLoopbackHost, REGION_NAMES, REGIONS, upstreamOrigins } from '../../../shared/tencent/regions.ts';

/** docs/tencent.md, "Regions and origins", written out independently of the module. */
const REFERENCE_DOMAINS = [
  ['china', 'console.tim.qq.com', 'adminapi.my-imcloud.com'],
  ['singapore', 'adminapisgp.im.qcloud.com', 'adminapisgp.my-imcloud.com'],
  ['seoul', 'adminapikr.im.qcloud.com', 'adminapikr.my-imcloud.com'],
  ['tokyo', 'adminapijpn.im.qcloud.com', 'adminapijpn.my-imcloud.com'],
  ['frankfurt', 'adminapiger.im.qcloud.com', 'adminapiger.my-imcloud.com'],
  ['mumbai', 'adminapiind.im.qcloud.com', 'adminapiind.my-imcloud.com'],
  ['silicon-valley', 'adminapiusa.im.qcloud.com', 'adminapiusa.my-imcloud.com'],
  ['jakarta', 'adminapiidn.im.qcloud.com', 'adminapiidn.my-imcloud.com'],
] as const;

describe('Tencent data centers', () => {
  it('names exactly the regions TIM_REGION accepts', () => {
    // Assess
    expect([...REGION_NAMES].sort()).toEqual(REFERENCE_DOMAINS.map(([region]) => region).sort());
  });

  describe.each(REFERENCE_DOMAINS)('%s', (region, primary, backup) => {
    it('tries the primary domain, then the backup, both over https', () => {
      // Act
      const origins = upstreamOrigins({ region });

      // Assess
      expect(origins).toEqual([`https://${primary}`, `https://${backup}`]);
      expect(REGIONS[region]).toEqual({ primary, backup });
    });
  });
});

describe('an explicit base URL', () => {
  it('wins over the region and is used alone, reduced to its origin', () => {
    // Act
    const origins = upstreamOrigins({
      region: 'china',
      baseUrl: 'https://tim.example.com:8443/some/path?x=1',
    });

    // Assess
    expect(origins).toEqual(['https://tim.example.com:8443']);
  });

  it.each(['http://127.0.0.1:9000', 'http://127.8.9.10', 'http://localhost:3001', 'http://[::1]:4000'])(
    'may be plain http on loopback: %s',
    (baseUrl) => {
      // Act
      const origins = upstreamOrigins({ baseUrl });

      // Assess
      expect(origins).toEqual([new URL(baseUrl).origin]);
    },
  );

  it.each(['http://tim.example.com', 'http://10.0.0.5:8080', 'http://128.0.0.1', 'ftp://127.0.0.1'])(
    'is refused when plain http leaves the machine: %s',
    (baseUrl) => {
      // Act
      const attempt = () => upstreamOrigins({ baseUrl });

      // Assess
      expect(attempt).toThrow(/TIM_BASE_URL must be https/);
    },
  );

  it('is refused when it is not a URL', () => {
    // Act
    const attempt = () => upstreamOrigins({ baseUrl: 'console.tim.qq.com' });

    // Assess
    expect(attempt).toThrow();
  });
});

describe('no data center at all', () => {
  it('is refused with a message naming both variables', () => {
    // Act
    const attempt = () => upstreamOrigins({});

    // Assess
    expect(attempt).toThrow(/TIM_REGION or TIM_BASE_URL/);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
  ])('%s → %s', (host, expected) => {
    // Assess
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
