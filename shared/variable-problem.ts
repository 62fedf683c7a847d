/** Variables whose value never appears in a message: keys, tokens, passwords. */
const SECRET_NAME = /(KEY|TOKEN|PASSWORD|SECRET)$/i;

/**
 * The one style of a configuration message, for the gateway, the local tools and the emulator
 * alike: the variable (or command-line option) named, the value it has echoed (a secret's only as
 * "set"), and what to do, e.g. `PORT is "eighty": use a whole number from 0 to 65535, or unset it
 * for the default (3000)`. `value` undefined means the variable is not set.
 */
export function variableProblem(name: string, value: string | undefined, fix: string): string {
  const shown =
    value === undefined ? 'not set' : SECRET_NAME.test(name) ? 'set (value hidden)' : JSON.stringify(value);
  return `${name} is ${shown}: ${fix}`;
}
