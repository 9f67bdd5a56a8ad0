import test from 'ava';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { scratchDir } from '../support/process.ts';
import { api, captchaFor, descendants, freePortRange, readyNpmStart, runNpmStart } from './fixture.ts';

/** Running, that is: present and not a zombie waiting for init to collect its exit status. */
function alive(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return false;
  }
}

test('npm start serves the UI and the API, prints what runs where, and stops cleanly on SIGINT', async (t) => {
  const { port, run, output } = await readyNpmStart(t, 'npm-start');
  const page = await fetch(`http://127.0.0.1:${port}/connect/qr`);
  t.regex(await page.text(), /<cf-app><\/cf-app>/);
  const register = await api(port, 'POST', '/auth/register', {
    // npm start asks for the captcha as production does; the widget's work is done here.
    body: { email: 'npm-start@example.org', password: 'npm start works', captcha: await captchaFor(port) },
  });
  t.is(register.status, 201);
  for (const part of ['api-gateway \\+ web', 'PostgreSQL', 'Vault', 'user-service', 'integration-service']) {
    t.regex(output, new RegExp(`^\\s+${part}\\s+\\S+`, 'm'), `the table has a row for ${part}`);
  }
  t.regex(output, new RegExp(`api-gateway \\+ web\\s+http://localhost:${port}`));
  t.regex(output, /DEMO MODE/);
  // npm → start.ts → PostgreSQL, Vault, the services and the reaper: everything that must stop again.
  const platform = descendants(run.child.pid!);
  t.true(platform.length >= 6, `expected the platform's processes, found ${platform.length}`);

  const ended = await run.interrupt();
  // npm itself ends by the same Ctrl-C (SIGINT) the shell would send it; the platform must shut down cleanly.
  t.true(ended === 0 || ended === 'SIGINT' || ended === 130, `npm ended with ${ended}`);
  t.regex(run.output(), /stopped; nothing left running/);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const left = platform
    .filter(alive)
    .map((pid) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim());
  t.deepEqual(left, [], 'no process left behind');
});

test('a second npm start on the same state says one is running instead of failing on a port', async (t) => {
  const { port, state } = await readyNpmStart(t, 'npm-start-twice');
  const second = runNpmStart(state, port);
  t.teardown(second.kill);
  t.is(await second.exited, 1);
  t.regex(second.output(), /already running .*pid \d+.*open http:\/\/localhost:\d+/s);
  t.notRegex(second.output(), /EADDRINUSE/);
  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'the first one still serves');
});

test('npm start -- --reset deletes the state only after the user typed reset', async (t) => {
  const { port, state, run: first } = await readyNpmStart(t, 'npm-start-reset');
  t.is(
    (
      await api(port, 'POST', '/auth/register', {
        body: { email: 'r@example.org', password: 'reset me now', captcha: await captchaFor(port) },
      })
    ).status,
    201,
  );
  await first.interrupt();

  const declined = runNpmStart(state, port, {}, ['--reset']);
  t.teardown(declined.kill);
  declined.child.stdin!.end('no\n');
  t.is(await declined.exited, 1);
  t.regex(declined.output(), /Type "reset" to confirm/);
  t.regex(declined.output(), /Nothing deleted/);

  const confirmed = runNpmStart(state, port, {}, ['--reset']);
  t.teardown(confirmed.kill);
  confirmed.child.stdin!.end('reset\n');
  await confirmed.ready();
  t.regex(confirmed.output(), /Deleted .*starting afresh/);
  const login = await api(port, 'POST', '/auth/login', { body: { email: 'r@example.org', password: 'reset me now' } });
  t.is(login.status, 401, 'the user is gone with the state');
  await confirmed.interrupt();
});

test('CF_LOCAL_VAULT=off runs without Vault, labelled as development-only key files', async (t) => {
  const { port, state, run, output } = await readyNpmStart(t, 'npm-start-no-vault', { CF_LOCAL_VAULT: 'off' });
  t.regex(output, /^\s+Vault\s+—\s+OFF \(CF_LOCAL_VAULT=off\): DEVELOPMENT-ONLY key files/m);
  const registered = await api(port, 'POST', '/auth/register', {
    body: { email: 'no-vault@example.org', password: 'keys in a file', captcha: await captchaFor(port) },
  });
  t.is(registered.status, 201);
  t.false(existsSync(join(state, 'vault')), 'no Vault storage was created');
  await run.interrupt();
});

test('npm start on ports another program holds says which and how to move, before starting anything', async (t) => {
  const port = await freePortRange();
  const blocker = createServer().listen(port + 1, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const state = scratchDir('npm-start-ports');
  const run = runNpmStart(state, port);
  t.teardown(run.kill);
  t.is(await run.exited, 1);
  t.regex(
    run.output(),
    new RegExp(`Ports in use by another program: ${port + 1} \\(user-service\\)\\..*PORT=\\d+ npm start`),
  );
  t.false(existsSync(join(state, 'postgres')), 'nothing was started');
});
