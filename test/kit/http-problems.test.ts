import test from 'ava';
import { MINIMAL_SERVICE, startServiceProcess, type ServiceProcess } from '../support/service-process.ts';

let service: ServiceProcess;

test.before(async () => {
  service = await startServiceProcess(MINIMAL_SERVICE, { BODY_LIMIT: '1024' });
});

test.after.always(async () => {
  await service?.stop();
});

async function post(path: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function problem(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

test('a valid request gets its answer', async (t) => {
  const response = await post('/greetings', JSON.stringify({ name: 'ada', count: 2 }));
  t.is(response.status, 201);
  t.deepEqual(await response.json(), { greeting: 'hello ada hello ada' });
});

test('malformed JSON is a 400 problem', async (t) => {
  const response = await post('/greetings', '{"name": ');
  t.is(response.status, 400);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  const body = await problem(response);
  t.is(body['status'], 400);
  t.is(body['detail'], 'request body is not valid JSON');
});

test('failed validation is a 400 problem listing each field', async (t) => {
  const response = await post('/greetings', JSON.stringify({ name: '', count: 9 }));
  t.is(response.status, 400);
  const body = await problem(response);
  const fields = (body['errors'] as { field: string }[]).map((error) => error.field).sort();
  t.deepEqual(fields, ['count', 'name']);
});

test('a missing body is a validation failure, not a crash', async (t) => {
  const response = await fetch(`${service.url}/greetings`, { method: 'POST' });
  t.is(response.status, 400);
  t.is((await problem(response))['detail'], 'request body is invalid');
});

test('an unknown route is a 404 problem', async (t) => {
  const response = await fetch(`${service.url}/nowhere`);
  t.is(response.status, 404);
  t.is((await problem(response))['title'], 'Not Found');
});

test('a domain not-found is a 404 problem with its detail', async (t) => {
  const response = await fetch(`${service.url}/items/7`);
  t.is(response.status, 404);
  t.is((await problem(response))['detail'], 'item 7 does not exist');
});

test('a wrong method is a 405 problem naming the allowed ones', async (t) => {
  const response = await fetch(`${service.url}/greetings`, { method: 'DELETE' });
  t.is(response.status, 405);
  t.regex(response.headers.get('allow') ?? '', /POST/);
  t.is((await problem(response))['status'], 405);
});

test('a body over the limit is a 413 problem', async (t) => {
  const response = await post('/greetings', JSON.stringify({ name: 'x'.repeat(2000) }));
  t.is(response.status, 413);
  t.is((await problem(response))['status'], 413);
});

test('a chunked body over the limit is a 413 problem too', async (t) => {
  const chunks = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(`{"name":"${'y'.repeat(3000)}"}`));
      controller.close();
    },
  });
  const response = await fetch(`${service.url}/greetings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chunks,
    duplex: 'half',
  } as RequestInit);
  t.is(response.status, 413);
});

test('a body that is not JSON is a 415 problem', async (t) => {
  const response = await post('/greetings', 'name=ada', 'application/x-www-form-urlencoded');
  t.is(response.status, 415);
  t.is((await problem(response))['status'], 415);
});

test('an unexpected error is a 500 problem without internals', async (t) => {
  const response = await fetch(`${service.url}/boom`);
  t.is(response.status, 500);
  const text = await response.text();
  t.false(text.includes('internal detail'));
  t.false(text.includes('at '), 'no stack trace in the body');
  t.is((JSON.parse(text) as { status: number }).status, 500);
});

test('every response carries a request id, and a sane caller id is kept', async (t) => {
  const generated = await fetch(`${service.url}/healthz`);
  t.regex(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const kept = await fetch(`${service.url}/healthz`, { headers: { 'x-request-id': 'caller-id-1234' } });
  t.is(kept.headers.get('x-request-id'), 'caller-id-1234');
  const replaced = await fetch(`${service.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
  t.not(replaced.headers.get('x-request-id'), 'bad id\twith spaces');
});

test('responses carry security headers', async (t) => {
  const response = await fetch(`${service.url}/healthz`);
  t.is(response.headers.get('x-content-type-options'), 'nosniff');
  t.truthy(response.headers.get('content-security-policy'));
  t.truthy(response.headers.get('strict-transport-security'));
});

test('liveness and readiness answer', async (t) => {
  t.deepEqual(await (await fetch(`${service.url}/healthz`)).json(), { status: 'ok' });
  const ready = await fetch(`${service.url}/readyz`);
  t.is(ready.status, 200);
  t.deepEqual(await ready.json(), { ready: true, checks: {} });
});

test('metrics label requests by route template, never by raw path', async (t) => {
  await fetch(`${service.url}/items/1`);
  await fetch(`${service.url}/items/424242`);
  const response = await fetch(`${service.url}/metrics`);
  t.regex(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  t.regex(text, /http_requests_total\{[^}]*route="\/items\/:id",method="GET",status="200"/);
  t.regex(text, /http_requests_total\{[^}]*route="\/items\/:id",method="GET",status="404"/);
  t.regex(text, /http_request_duration_seconds_count\{[^}]*route="\/items\/:id",method="GET"[,}]/);
  t.notRegex(
    text,
    /http_request_duration_seconds_\w+\{[^}]*status=/,
    'the histogram has no status label (cardinality)',
  );
  t.regex(text, /route="unmatched"/);
  t.false(text.includes('424242'));
  t.regex(text, /process_cpu_seconds_total/);
});
