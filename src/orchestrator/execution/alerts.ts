/**
 * Alerts (config `alerts: [{webhook, on: [failure, recovery, retry]}]`): a Slack-compatible JSON message per
 * event, posted to each webhook that asked for it. The URL usually embeds a token, so it comes from a secret
 * reference, is registered with the redactor, and appears in messages only as its origin. An alert that cannot
 * be delivered is reported as a warning and never fails the run.
 */
import type { AlertConfig } from '../../config/config-schema.ts';
import { resolveSecret, type SecretContext } from '../../config/secrets.ts';
import type { IsoDate } from '../../core/dates.ts';
import { ConfigError } from '../../core/errors.ts';
import { redact, registerSecret } from '../../core/redact.ts';

export type AlertEvent = 'failure' | 'recovery' | 'retry';

export interface Alert {
  event: AlertEvent;
  dag: string;
  logicalDate: IsoDate;
  runId: string;
  /** The failed task (failure, retry). */
  task?: string;
  tryNumber?: number;
  /** One sentence, already redacted. */
  error?: string;
  logPath?: string;
  /** retry: seconds until the next try. */
  retryInSeconds?: number;
}

export interface AlertTarget {
  url: string;
  on: readonly AlertEvent[];
}

/** Sends an alert to every target that wants it; problems go to `warn`, never to the caller. */
export interface AlertSender {
  send(alert: Alert, warn: (message: string) => void): Promise<void>;
}

export const NO_ALERTS: AlertSender = { send: async () => undefined };

export interface WebhookAlertOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** How the log command is spelled in messages. */
  cli?: string;
}

export function webhookAlerts(
  targets: readonly AlertTarget[],
  options: WebhookAlertOptions = {},
): AlertSender {
  const post = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    send: async (alert, warn) => {
      const message = slackMessage(alert, options.cli);
      await Promise.all(
        targets
          .filter((target) => target.on.includes(alert.event))
          .map(async (target) => {
            const where = describeWebhook(target.url);
            try {
              const response = await post(target.url, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(message),
                signal: AbortSignal.timeout(timeoutMs),
              });
              // Drain the body so the connection is released.
              await response.arrayBuffer().catch(() => undefined);
              if (!response.ok) {
                warn(`alert (${alert.event}) to ${where} could not be delivered: HTTP ${response.status}`);
              }
            } catch (error) {
              const reason = describeFetchError(error).split(target.url).join(where);
              warn(`alert (${alert.event}) to ${where} could not be delivered: ${redact(reason)}`);
            }
          }),
      );
    },
  };
}

/** `https://hooks.slack.com/***`: enough to tell webhooks apart, never the token in the path. */
export function describeWebhook(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/***`;
  } catch {
    return 'a webhook URL that is not valid';
  }
}

function describeFetchError(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'no answer in time';
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

/** The JSON body: `text` for any Slack-compatible receiver, `blocks` for Slack's layout. */
export function slackMessage(alert: Alert, cli = 'fintech-etl'): { text: string; blocks: unknown[] } {
  const subject = `${alert.dag} ${alert.logicalDate}`;
  const logCommand =
    alert.task !== undefined
      ? `${cli} logs ${alert.runId} ${alert.task}${alert.tryNumber !== undefined ? ` --try ${alert.tryNumber}` : ''}`
      : `${cli} logs ${alert.runId}`;
  let headline: string;
  switch (alert.event) {
    case 'failure':
      headline = `:red_circle: ${subject}: task ${alert.task} failed${tryText(alert)}: ${alert.error ?? 'no error given'}`;
      break;
    case 'retry':
      headline =
        `:large_orange_circle: ${subject}: task ${alert.task} failed${tryText(alert)}, retrying in ` +
        `${Math.round(alert.retryInSeconds ?? 0)} s: ${alert.error ?? 'no error given'}`;
      break;
    case 'recovery':
      headline = `:large_green_circle: ${subject} succeeded after an earlier failure`;
      break;
  }
  const logLine = `Log: \`${logCommand}\`${alert.logPath ? ` (${alert.logPath})` : ''}`;
  return {
    text: `${headline}\n${logLine}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `run \`${alert.runId}\`` },
          { type: 'mrkdwn', text: logLine },
        ],
      },
    ],
  };
}

function tryText(alert: Alert): string {
  return alert.tryNumber !== undefined ? ` (try ${alert.tryNumber})` : '';
}

/** Resolves the config's webhooks (secret references or plain URLs); every URL is registered as a secret. */
export async function resolveAlertTargets(
  alerts: readonly AlertConfig[],
  secrets: SecretContext,
): Promise<AlertTarget[]> {
  return Promise.all(
    alerts.map(async (alert, index) => {
      const url =
        typeof alert.webhook === 'string' ? alert.webhook : await resolveSecret(alert.webhook, secrets);
      if (url === undefined) {
        throw new ConfigError(`config key 'alerts.${index}.webhook': the secret it refers to is not set`);
      }
      if (!/^https?:\/\//.test(url)) {
        throw new ConfigError(`config key 'alerts.${index}.webhook': the secret is not an http(s) URL`);
      }
      registerSecret(url);
      return { url, on: alert.on };
    }),
  );
}
