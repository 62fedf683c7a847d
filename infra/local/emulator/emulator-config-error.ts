/** The emulator was given options, faults or a profile it cannot honour. */
export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
}
