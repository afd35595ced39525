// The request bodies of the PUT subresources (upstream v1.StartOptions, StopOptions, RestartOptions,
// PauseOptions, UnpauseOptions): JSON or YAML, optional, unknown fields ignored as Go's decoder does.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest } from './status.js';

const MAX_BODY = 64 * 1024;

export interface CommonOptions {
  /** dryRun: ["All"] — validate, change nothing. */
  dryRun: boolean;
}
export interface StartBody extends CommonOptions {
  paused?: boolean;
}
export interface StopBody extends CommonOptions {
  gracePeriod?: number;
}
export interface RestartBody extends CommonOptions {
  gracePeriodSeconds?: number;
}

const unmarshal = (why: string) => badRequest(`Can not unmarshal Request body to struct, error: ${why}`);

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw badRequest(`request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body as an object; an empty body is `{}`. */
export function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = parseYaml(text) as unknown; // YAML is a superset of JSON
  } catch (e) {
    throw unmarshal((e as Error).message.split('\n')[0] ?? 'malformed');
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw unmarshal('the body is not an object');
  return value as Record<string, unknown>;
}

function optionalBool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw unmarshal(`${key}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function optionalInt(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw unmarshal(`${key}: expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

function dryRunOf(body: Record<string, unknown>): boolean {
  const v = body.dryRun;
  if (v === undefined || v === null) return false;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw unmarshal(`dryRun: expected a list of strings, got ${JSON.stringify(v)}`);
  const bad = (v as string[]).find((s) => s !== 'All');
  if (bad !== undefined) throw badRequest(`dryRun: unsupported value "${bad}" (the only one is "All")`);
  return v.length > 0;
}

export const startOptions = (b: Record<string, unknown>): StartBody => ({ dryRun: dryRunOf(b), paused: optionalBool(b, 'paused') });
export const stopOptions = (b: Record<string, unknown>): StopBody => ({ dryRun: dryRunOf(b), gracePeriod: optionalInt(b, 'gracePeriod') });
export const restartOptions = (b: Record<string, unknown>): RestartBody => ({ dryRun: dryRunOf(b), gracePeriodSeconds: optionalInt(b, 'gracePeriodSeconds') });
export const dryRunOptions = (b: Record<string, unknown>): CommonOptions => ({ dryRun: dryRunOf(b) });
