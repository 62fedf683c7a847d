import { variableProblem } from '../../shared/variable-problem.ts';

/**
 * Why a server of the local tools could not listen on `host:port`, in the style of a configuration
 * message (the `PORT` or `HOST` variable, its value, what to do); undefined for an error that is
 * not about the address.
 */
export function listenProblem(error: unknown, host: string, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return variableProblem(
        'PORT',
        String(port),
        `${host}:${port} is in use (${code}); stop what listens there, or set PORT to another port (0 picks a free one)`,
      );
    case 'EACCES':
      return variableProblem(
        'PORT',
        String(port),
        `this user may not listen on port ${port} (${code}); use a port above 1023`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return variableProblem(
        'HOST',
        host,
        `it is not an address of this machine (${code}); use 127.0.0.1, ::1 or 0.0.0.0 (every interface)`,
      );
    default:
      return undefined;
  }
}
