/**
 * `npm run webhook -- <account> <tag> <value>`: sends the local gateway the webhook Tencent sends
 * after a profile change (`Profile.CallbackPortraitSet`), signed with `TIM_CALLBACK_TOKEN` as Tencent
 * signs it, with no shell tools beyond npm. Prints the gateway's answer; exit code 0 when it
 * accepted the webhook, 1 otherwise (refused, not reachable, or an argument it cannot use).
 */
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../../shared/config.ts';
import { variableProblem } from '../../shared/variable-problem.ts';
import { DEMO_CREDENTIALS } from './demo-profiles.ts';
import { portraitSetWebhook, WebhookArgumentError } from './signed-webhook.ts';

const PREFIX = 'webhook:';

const HELP = `Usage: npm run webhook -- [--url <gateway>] <account> <tag> <value>

Sends the gateway the signed webhook Tencent sends after <account> changed <tag> to <value>
(Profile.CallbackPortraitSet). The gateway writes it into its cache only if that account is
cached: ask for the account first, then send the webhook, then ask again.
  TIM_CALLBACK_TOKEN=my-token npm start
  npm run webhook -- alice Tag_Profile_IM_Nick 'Alice 2'      # with TIM_CALLBACK_TOKEN=my-token set

Options:
  --url <gateway>   the gateway's address (default http://127.0.0.1:$PORT, PORT default ${DEFAULTS.port})
  -h, --help        this text

Environment: TIM_CALLBACK_TOKEN (required: the gateway's token), TIM_SDKAPPID (default: the demo
app, ${DEMO_CREDENTIALS.sdkAppId}).`;

interface WebhookArguments {
  url: string;
  account: string;
  tag: string;
  value: string;
}

function argumentsOf(args: string[]): WebhookArguments | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    if (!String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw error;
    throw new WebhookArgumentError(`${(error as Error).message} (see npm run webhook -- --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [account, tag, value] = positionals;
  if (positionals.length !== 3 || account === undefined || tag === undefined || value === undefined) {
    throw new WebhookArgumentError(
      `give three arguments, <account> <tag> <value>, e.g. npm run webhook -- alice Tag_Profile_IM_Nick 'Alice 2' (got ${positionals.length})`,
    );
  }
  const url = values.url ?? `http://127.0.0.1:${process.env.PORT?.trim() || DEFAULTS.port}`;
  if (!URL.canParse(url)) {
    throw new WebhookArgumentError(variableProblem('--url', url, 'give the address npm start printed'));
  }
  return { url, account, tag, value };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
    strict: true,
  });
}

function settingsFromEnv(): { callbackToken: string; sdkAppId: number } {
  const callbackToken = process.env.TIM_CALLBACK_TOKEN?.trim() ?? '';
  if (callbackToken === '') {
    throw new WebhookArgumentError(
      variableProblem(
        'TIM_CALLBACK_TOKEN',
        undefined,
        'set it to the token the gateway was started with (TIM_CALLBACK_TOKEN=my-token npm start)',
      ),
    );
  }
  const raw = process.env.TIM_SDKAPPID?.trim() ?? '';
  if (raw !== '' && !/^[1-9]\d{0,11}$/.test(raw)) {
    throw new WebhookArgumentError(
      variableProblem('TIM_SDKAPPID', raw, "use the app's SDKAppID, or unset it for the demo app"),
    );
  }
  return { callbackToken, sdkAppId: raw === '' ? DEMO_CREDENTIALS.sdkAppId : Number(raw) };
}

async function main(): Promise<number> {
  const parsed = argumentsOf(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(HELP);
    return 0;
  }
  const { url, account, tag, value } = parsed;
  const webhook = portraitSetWebhook({ ...settingsFromEnv(), account, tag, value, nowMs: Date.now() });
  const target = new URL(webhook.pathAndQuery, url);
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: webhook.body,
    });
  } catch (error) {
    const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code ?? (error as Error).message;
    throw new WebhookArgumentError(
      variableProblem(
        '--url',
        url,
        `no gateway answered there (${code}); start it, or give the address npm start printed`,
      ),
    );
  }
  const reply = await response.text();
  console.log(
    `${PREFIX} POST ${target.origin}${target.pathname} ${account} ${tag} → ${response.status} ${reply}`,
  );
  if (!response.ok) return 1;
  console.log(
    `${PREFIX} accepted: if ${account} was cached, the next answer for ${account} has the new value and X-Upstream-Calls: 0`,
  );
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof WebhookArgumentError)) throw error;
  console.error(`${PREFIX} ${error.message}`);
  process.exitCode = 1;
}
