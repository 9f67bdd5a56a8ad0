import test from 'ava';
import { MINIMAL_SERVICE, startServiceProcess } from '../support/service-process.ts';

test('SIGTERM lets the in-flight request finish, refuses new ones and exits 0', async (t) => {
  const service = await startServiceProcess(MINIMAL_SERVICE);
  const inFlight = fetch(`${service.url}/slow?ms=800`);
  await new Promise((resolve) => setTimeout(resolve, 150));
  process.kill(service.process.pid, 'SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 150));
  await t.throwsAsync(fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(2000) }));
  const response = await inFlight;
  t.is(response.status, 200);
  t.deepEqual(await response.json(), { done: true });
  t.is(await service.process.exited, 0);
});

test('SIGINT stops an idle service with exit code 0', async (t) => {
  const service = await startServiceProcess(MINIMAL_SERVICE);
  process.kill(service.process.pid, 'SIGINT');
  t.is(await service.process.exited, 0);
});
