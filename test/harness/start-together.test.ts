import test from 'ava';
import { startTogether, stopIfFails } from '@cf/embedded/process';

function component(name: string, stopped: string[]): { name: string; stop(): Promise<void> } {
  return {
    name,
    async stop() {
      stopped.push(name);
    },
  };
}

test('startTogether returns every component when all start', async (t) => {
  const stopped: string[] = [];
  const [a, b] = await startTogether([
    Promise.resolve(component('a', stopped)),
    Promise.resolve(component('b', stopped)),
  ]);
  t.deepEqual([a.name, b.name], ['a', 'b']);
  t.deepEqual(stopped, []);
});

test('startTogether stops the components that started when another fails, then rethrows its error', async (t) => {
  const stopped: string[] = [];
  const error = await t.throwsAsync(
    startTogether([Promise.resolve(component('a', stopped)), Promise.reject(new Error('b failed'))]),
  );
  t.is(error?.message, 'b failed');
  t.deepEqual(stopped, ['a']);
});

test('stopIfFails stops what started, last first, when the rest of a set-up fails', async (t) => {
  const stopped: string[] = [];
  const error = await t.throwsAsync(
    stopIfFails([component('a', stopped), component('b', stopped)], async () => {
      throw new Error('set-up failed');
    }),
  );
  t.is(error?.message, 'set-up failed');
  t.deepEqual(stopped, ['b', 'a']);
});

test('stopIfFails stops nothing and returns the result when the set-up succeeds', async (t) => {
  const stopped: string[] = [];
  t.is(await stopIfFails([component('a', stopped)], async () => 42), 42);
  t.deepEqual(stopped, []);
});
