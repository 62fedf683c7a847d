import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { START_HELP } from '../../infra/local/start-options.ts';
import { CONTEXT_KEYS } from '../../infra/stack-config.ts';
import { ENVIRONMENT_VARIABLES } from '../../shared/config.ts';
import { GATEWAY_METRIC_NAMES } from '../../shared/metric-catalog.ts';

const ROOT = join(import.meta.dirname, '../..');

/** The text of a Markdown file from the heading `title` to the next heading of its level or above. */
function section(file: string, title: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.search(new RegExp(`^(#+) ${title}$`, 'm'));
  if (start < 0) throw new Error(`${file} has no heading "${title}"`);
  const level = (/^#+/.exec(text.slice(start)) as RegExpExecArray)[0].length;
  const rest = text.slice(text.indexOf('\n', start) + 1);
  const end = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Set by the stack for the deployed functions only, never by a person running the gateway locally. */
const DEPLOY_ONLY = new Set(['TIM_SECRET_ID', 'RESULTS_QUEUE_URL', 'POWERTOOLS_SERVICE_NAME']);

describe('the settings a person can set, and the metrics an operator reads, are documented where they look', () => {
  const local = ENVIRONMENT_VARIABLES.filter((name) => !DEPLOY_ONLY.has(name));

  it.each(local)('%s is in `npm start -- --help` and in docs/local.md, "Environment"', (name) => {
    expect(START_HELP).toContain(name);
    expect(section('docs/local.md', 'Environment')).toContain(`\`${name}\``);
  });

  it.each([...CONTEXT_KEYS])('context key %s is in the README\'s "Deploy to AWS"', (key) => {
    expect(section('README.md', 'Deploy to AWS')).toContain(`\`${key}\``);
  });

  it.each(GATEWAY_METRIC_NAMES)('metric %s is in docs/operations.md, "Metrics"', (name) => {
    expect(section('docs/operations.md', 'Metrics')).toContain(`\`${name}\``);
  });
});
