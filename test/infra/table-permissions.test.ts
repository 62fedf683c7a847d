import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLE_ACTIONS } from '../../infra/portrait-gateway-stack.ts';

const ROOT = join(import.meta.dirname, '../..');

/** The DynamoDB document client's commands, and the IAM action each needs. */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  TransactGetCommand: 'dynamodb:GetItem',
  TransactWriteCommand: 'dynamodb:UpdateItem',
  UpdateCommand: 'dynamodb:UpdateItem',
};

/** Creates the table for local runs and tests only; the stack owns the deployed table. */
const LOCAL_ONLY = new Set(['shared/table-definition.ts']);

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every table command the functions' code sends, with the file that sends it. */
const sent = sourceFiles('shared')
  .filter((file) => !LOCAL_ONLY.has(file))
  .flatMap((file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    if (!/from '@aws-sdk\/(lib-dynamodb|client-dynamodb)'/.test(text)) return [];
    return [...text.matchAll(/new (\w+Command)\(/g)].map(([, command]) => ({
      file,
      command: command as string,
    }));
  });

describe("the functions' table permissions", () => {
  it('finds the table commands the code sends', () => {
    expect(sent.map(({ command }) => command)).toEqual(
      expect.arrayContaining(['BatchGetCommand', 'UpdateCommand']),
    );
  });

  it.each(sent)('$file: $command is allowed to the HTTP and queue functions', ({ command }) => {
    expect(TABLE_ACTIONS.cacheAndLimiter).toContain(ACTION_OF_COMMAND[command]);
  });
});
