import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceOrigin } from 'node:module';
import { fileURLToPath } from 'node:url';

type CallSite = NodeJS.CallSite;

/**
 * A frame of the bundle at its source position; the bundle's names are minified, so the position
 * alone says where. A position the map does not cover stays as V8 prints it.
 */
function mappedFrame(frame: CallSite, map: SourceMap, mapUrl: string): string {
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  const origin: SourceOrigin | object = line === null || column === null ? {} : map.findOrigin(line, column);
  if (!('fileName' in origin)) return `    at ${frame}`;
  return `    at ${new URL(origin.fileName, mapUrl).href}:${origin.lineNumber}:${origin.columnNumber}`;
}

/** The first line of a stack, as V8 writes it; an error whose `toString` throws still gets one. */
function headline(error: Error): string {
  try {
    return String(error);
  } catch {
    return 'Error';
  }
}

/**
 * Makes stack traces of the bundle at `bundleUrl` (a function's `import.meta.url`) name source files
 * and lines, from `<bundle>.map`, read and parsed only when a stack is first formatted. Node's
 * `--enable-source-maps` parses the map at every cold start instead, which took about a third of
 * the HTTP function's import time (docs/performance.md, "Cold start"), though most invocations
 * format no stack at all. Does nothing where there is no map (the source run by `npm start` and tests).
 */
export function mapStackTracesLazily(bundleUrl: string): void {
  const bundlePath = fileURLToPath(bundleUrl);
  const mapPath = `${bundlePath}.map`;
  if (!existsSync(mapPath)) return;
  const mapUrl = new URL(`${bundleUrl}.map`).href;
  let map: SourceMap | null | undefined;
  const load = (): SourceMap | null => {
    try {
      return new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')));
    } catch {
      return null;
    }
  };
  const inBundle = (frame: CallSite) => {
    const file = frame.getFileName();
    return file === bundleUrl || file === bundlePath;
  };
  // A stack without a frame of the bundle goes to whoever formatted stacks before (a test runner).
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) => {
    if (previous && !frames.some(inBundle)) return previous(error, frames);
    map ??= load();
    const lines = frames.map((frame) =>
      map && inBundle(frame) ? mappedFrame(frame, map, mapUrl) : `    at ${frame}`,
    );
    return [headline(error), ...lines].join('\n');
  };
}
