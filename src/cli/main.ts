#!/usr/bin/env node
import { parseArgs } from 'node:util';

import { API_COMMANDS, render, type ApiCommand } from './commands.ts';
import { CliError } from './http.ts';
import { bootstrap, migrate } from './local.ts';
import { generateApiKeyCommand, GENERATE_USAGE, importCommand } from './seed.ts';

const GLOBAL_OPTIONS = {
  url: { type: 'string', description: 'server URL (or GATEHOUSE_URL)' },
  'api-key': { type: 'string', description: 'API key (or GATEHOUSE_API_KEY)' },
  json: { type: 'boolean', description: 'print JSON for scripts' },
  help: { type: 'boolean', description: 'show help' },
} as const;

function help(): string {
  const lines = ['usage: gatehouse <command> [options]', '', 'Server:',
    '  serve                        run the server (same as npm start)',
    '  migrate                      create the database indexes, then exit',
    '  bootstrap --email E [--name N] create the platform admin and print its API key once (MongoDB)',
    '  import <seed.json> [--dry-run] import a seed file into MongoDB (--dry-run: check it, write nothing)',
    '  api-keys generate            print a new API key for a seed file (writes nothing)', '',
    'Admin API (needs --url and --api-key, or GATEHOUSE_URL and GATEHOUSE_API_KEY):'];
  for (const [group, verbs] of Object.entries(API_COMMANDS)) {
    for (const [verb, command] of Object.entries(verbs)) lines.push(`  ${`${group} ${verb}`.trim().padEnd(28)} ${command.summary}`);
  }
  lines.push('', 'Every command takes --help; admin commands take --json.');
  return lines.join('\n');
}

function commandHelp(command: ApiCommand): string {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  return [`usage: ${command.usage}`, '', command.summary, '', 'options:',
    ...Object.entries(options).map(([name, o]) => `  --${name.padEnd(18)} ${o.description}`)].join('\n');
}

async function runApiCommand(command: ApiCommand, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  if (values.help) return void process.stdout.write(`${commandHelp(command)}\n`);
  const url = (values.url as string | undefined) ?? process.env.GATEHOUSE_URL;
  const apiKey = (values['api-key'] as string | undefined) ?? process.env.GATEHOUSE_API_KEY;
  if (!url) throw new CliError('no server: pass --url or set GATEHOUSE_URL', 2);
  if (!apiKey) throw new CliError('no credential: pass --api-key or set GATEHOUSE_API_KEY', 2);
  const result = await command.call({ url, apiKey }, { positionals, values });
  process.stdout.write(`${values.json ? JSON.stringify(result ?? null, null, 2) : render(command, result)}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [group, ...rest] = argv;
  if (!group || group === '--help' || group === 'help') return void process.stdout.write(`${help()}\n`);
  if (group === 'serve') {
    await import('../main.ts');
    return;
  }
  if (group === 'migrate') return migrate(rest);
  if (group === 'bootstrap') return bootstrap(rest);
  if (group === 'import') return importCommand(rest);
  // Local, unlike the other api-keys commands: it needs no server.
  if (group === 'api-keys' && rest[0] === 'generate') return generateApiKeyCommand(rest.slice(1));
  const verbs = API_COMMANDS[group];
  if (!verbs) throw new CliError(`unknown command "${group}" (gatehouse --help lists them)`, 2);
  const direct = verbs[''];
  if (direct) return runApiCommand(direct, rest);
  const [verb, ...args] = rest;
  const command = verb ? verbs[verb] : undefined;
  if (!command) {
    if (!verb || verb === '--help') {
      const usages = Object.values(verbs).map((c) => `usage: ${c.usage}`);
      if (group === 'api-keys') usages.push(`usage: ${GENERATE_USAGE}`);
      return void process.stdout.write(`${usages.join('\n')}\n`);
    }
    throw new CliError(`unknown command "${group} ${verb}" (gatehouse ${group} --help lists them)`, 2);
  }
  return runApiCommand(command, args);
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  const code = err instanceof CliError ? err.exitCode : (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = code;
}
