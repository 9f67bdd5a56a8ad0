import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from '@cf/kit';
import { scratchDir, spawnManaged } from '../support/process.ts';
import { MINIMAL_SERVICE } from '../support/service-process.ts';

const shape = {
  PORT: env.port(8080),
  DATABASE_URL: z.url(),
  DEBUG: env.flag(false),
};

test('valid variables are parsed and defaults fill the rest', (t) => {
  const config = loadConfig(shape, { DATABASE_URL: 'postgres://db/x', DEBUG: 'yes' });
  t.deepEqual(config, { PORT: 8080, DATABASE_URL: 'postgres://db/x', DEBUG: true });
});

test('a missing variable is named in the error', (t) => {
  const error = t.throws(() => loadConfig(shape, {}), { instanceOf: ConfigError });
  t.deepEqual(error?.variables, ['DATABASE_URL']);
  t.regex(error?.message ?? '', /DATABASE_URL/);
});

test('every bad variable is named, not only the first', (t) => {
  const error = t.throws(() => loadConfig(shape, { PORT: '99999', DATABASE_URL: 'not a url', DEBUG: 'maybe' }), {
    instanceOf: ConfigError,
  });
  t.deepEqual([...(error?.variables ?? [])].sort(), ['DATABASE_URL', 'DEBUG', 'PORT']);
});

test('an empty variable counts as unset', (t) => {
  t.is(loadConfig({ PORT: env.port(1234) }, { PORT: '' }).PORT, 1234);
});

test('a service with a bad variable stops at startup with a message naming it', async (t) => {
  const dir = scratchDir('config');
  const proc = spawnManaged(process.execPath, [MINIMAL_SERVICE], {
    name: 'minimal-service',
    logFile: join(dir, 'out.log'),
    env: { PORT: 'eighty' },
  });
  t.not(await proc.exited, 0);
  t.regex(readFileSync(join(dir, 'out.log'), 'utf8'), /invalid configuration: PORT/);
});
