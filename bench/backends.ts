import {
  EMULATOR_SCRIPT,
  type GatewayProcess,
  startGatewayProcess,
} from '../test/support/gateway-process.ts';

/** What the benchmarks' gateways and limiters stand on, each a process of its own. */
export interface Backends {
  dynamodb: GatewayProcess;
  /** The Tencent IM emulator, admitting `emulatorRatePerSecond` calls per sliding second. */
  emulator: GatewayProcess;
}

/**
 * Starts dynalite and the Tencent IM emulator, each in its own process, and adds them to `started`
 * (the caller stops everything there, also when a later start fails).
 */
export async function startBackends(
  started: GatewayProcess[],
  emulatorRatePerSecond: number,
): Promise<Backends> {
  const dynamodb = await startGatewayProcess({}, 'bench/dynalite-server.ts');
  started.push(dynamodb);
  const emulator = await startGatewayProcess(
    { env: { EMULATOR_RATE_PER_SECOND: String(emulatorRatePerSecond) } },
    EMULATOR_SCRIPT,
  );
  started.push(emulator);
  return { dynamodb, emulator };
}
