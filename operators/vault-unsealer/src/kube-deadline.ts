import {
  createConfiguration,
  Observable,
  ServerConfiguration,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/**
 * Kubernetes API calls with a deadline. client-node 2.x sends requests without a timeout, so a request to an
 * API server that accepted the connection and then stopped answering would wait forever; these middlewares
 * abort it instead (the caller sees an AbortError and retries or steps down).
 */

function deadlineMiddleware(signal: () => AbortSignal): ObservableMiddleware {
  return {
    pre: (context: RequestContext) => {
      context.setSignal(signal());
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
}

/** Per-call options: this call aborts when `signal` does (it replaces the client's default deadline). */
export function withSignal(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  return { middleware: [deadlineMiddleware(() => signal)], middlewareMergeStrategy: 'append' };
}

/**
 * `kubeConfig.makeApiClient(type)` whose every request aborts after `timeoutMs` (default 10 s) unless the call
 * brings its own signal (`withSignal`). Same server, auth and TLS as `makeApiClient`.
 */
export function makeApiClientWithDeadline<T>(
  kubeConfig: KubeConfig,
  type: new (configuration: ReturnType<typeof createConfiguration>) => T,
  timeoutMs = 10_000,
): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('No active cluster!');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    middleware: [deadlineMiddleware(() => AbortSignal.timeout(timeoutMs))],
  });
  return new type(configuration);
}
