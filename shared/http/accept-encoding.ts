const QUALITY = /^q=([01](?:\.\d{0,3})?)$/;

/**
 * Whether an `Accept-Encoding` request header (every line of it, comma-joined) lets the reply be
 * gzip-compressed (RFC 9110 §12.5.3): `gzip` (or `x-gzip`) with a nonzero weight, or `*` with one
 * when gzip is not named. No header, or `identity` only, means no.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const entry of header.split(',')) {
    const [coding = '', ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    const weight = parameters.map((parameter) => QUALITY.exec(parameter)?.[1]).find(Boolean);
    const quality = weight === undefined ? 1 : Number(weight);
    if (coding === 'gzip' || coding === 'x-gzip') gzip = Math.max(gzip ?? 0, quality);
    else if (coding === '*') any = quality;
  }
  return (gzip ?? any ?? 0) > 0;
}
