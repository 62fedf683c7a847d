import { describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../../shared/http/accept-encoding.ts';

describe('acceptsGzip', () => {
  describe.each([
    { header: undefined, gzip: false },
    { header: '', gzip: false },
    { header: 'identity', gzip: false },
    { header: 'gzip', gzip: true },
    { header: 'GZIP', gzip: true },
    { header: 'x-gzip', gzip: true },
    { header: 'gzip, deflate, br', gzip: true },
    { header: 'br;q=1.0, gzip;q=0.8, *;q=0.1', gzip: true },
    { header: 'gzip;q=0.001', gzip: true },
    { header: 'gzip;q=0', gzip: false },
    { header: 'gzip; q=0.000', gzip: false },
    { header: '*', gzip: true },
    { header: '*;q=0', gzip: false },
    { header: 'gzip;q=0, *', gzip: false },
    { header: 'deflate, br', gzip: false },
    { header: 'br,gzip', gzip: true },
  ])('Accept-Encoding: $header', ({ header, gzip }) => {
    it(`${gzip ? 'accepts' : 'does not accept'} gzip`, () => {
      expect(acceptsGzip(header)).toBe(gzip);
    });
  });
});
