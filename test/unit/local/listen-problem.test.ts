import { describe, expect, it } from 'vitest';
import { listenProblem } from '../../../infra/local/listen-problem.ts';

const failure = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

describe('listenProblem', () => {
  it.each([
    ['EADDRINUSE', 'PORT is "8080": 127.0.0.1:8080 is in use (EADDRINUSE)'],
    ['EACCES', 'PORT is "8080": this user may not listen on port 8080 (EACCES)'],
    ['ENOTFOUND', 'HOST is "127.0.0.1": it is not an address of this machine (ENOTFOUND)'],
    ['EAI_AGAIN', 'HOST is "127.0.0.1": it is not an address of this machine (EAI_AGAIN)'],
    ['EADDRNOTAVAIL', 'HOST is "127.0.0.1": it is not an address of this machine (EADDRNOTAVAIL)'],
  ])('names the variable to change for %s', (code, message) => {
    // Act / Assess
    expect(listenProblem(failure(code), '127.0.0.1', 8080)).toContain(message);
  });

  it('leaves an error that is not about the address to the caller', () => {
    // Act / Assess
    expect(listenProblem(failure('EMFILE'), '127.0.0.1', 8080)).toBeUndefined();
    expect(listenProblem(new Error('no code'), '127.0.0.1', 8080)).toBeUndefined();
  });
});
