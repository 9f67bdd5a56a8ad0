import test from 'ava';
import { problemFor } from '../../services/integration-service/src/http/problems.ts';
import { KINDS } from '../../services/integration-service/src/telegram/errors.ts';
import { TelegramError, type TelegramErrorKind } from '../../services/integration-service/src/telegram/port.ts';

// One test per kind: the problem the edge answers with, as the UI's catalogue keys it.
for (const [kind, rule] of Object.entries(KINDS) as [TelegramErrorKind, (typeof KINDS)[TelegramErrorKind]][]) {
  const waits = rule.wait !== undefined || rule.retryAfter !== undefined;
  test(`${kind} answers ${rule.status} with its own problem type${waits ? ' and Retry-After' : ''}`, (t) => {
    const problem = problemFor(new TelegramError(kind));
    t.is(problem.status, rule.status);
    t.is(
      problem.type,
      `https://content-factory.local/problems/telegram/${kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`,
    );
    t.is(problem.extensions['kind'], kind);
    if (rule.wait !== undefined) t.is(problem.headers['Retry-After'], String(rule.wait.seconds));
    else if (rule.retryAfter !== undefined) t.is(problem.headers['Retry-After'], String(rule.retryAfter));
    else t.is(problem.headers['Retry-After'], undefined);
  });
}

test('a flood wait answers with the seconds Telegram named, not the default', (t) => {
  const problem = problemFor(new TelegramError('FloodWait', { seconds: 42 }));
  t.is(problem.headers['Retry-After'], '42');
  t.is(problem.extensions['retryAfter'], 42);
});
