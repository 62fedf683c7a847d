/** The error `call` rejects with; throws when it resolves, so a test cannot pass on a call that succeeded. */
export async function rejectionOf(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('the call succeeded');
}
