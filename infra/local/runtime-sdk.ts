import { registerHooks } from 'node:module';

/** What the Lambda Node.js runtime provides beside the function's code, so bundles leave it out. */
const RUNTIME_PROVIDED = /^@aws-sdk\/|^@smithy\//;

let registered = false;

/**
 * Plays the Lambda runtime's copy of the AWS SDK for bundles outside the project (e.g. a cloud
 * assembly in a temporary directory): an import of `@aws-sdk/*` or `@smithy/*` that cannot be
 * resolved from the bundle's own folder is resolved from `projectRoot` (a file URL of a directory,
 * trailing slash included), i.e. this project's installed SDK. Idempotent.
 */
export function provideRuntimeSdk(projectRoot: URL): void {
  if (registered) return;
  registered = true;
  const parentURL = new URL('package.json', projectRoot).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const notFound = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
        if (!notFound || !RUNTIME_PROVIDED.test(specifier)) throw error;
        return nextResolve(specifier, { ...context, parentURL });
      }
    },
  });
}
