import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { gateway, HTTP_PORT, labels, PART_OF } from '../platform.ts';
import type { Profile } from '../profile.ts';
import { issuerName } from './cluster.ts';

/**
 * The TLS entry: a Gateway API Gateway (HTTP listener that only redirects, HTTPS listener with a cert-manager
 * certificate) and HTTPRoutes `/` → web, `/api` → api-gateway.
 */
export class TlsEntryChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const namespace = gateway.namespace;
    const meta = (name: string): Record<string, unknown> => ({
      name,
      namespace,
      labels: { ...labels(gateway.name, 'tls-entry'), 'app.kubernetes.io/part-of': PART_OF },
    });
    new ApiObject(this, 'gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { ...meta(gateway.name), annotations: { 'cert-manager.io/cluster-issuer': issuerName(profile) } },
      spec: {
        gatewayClassName: profile.gateway.className,
        listeners: [
          {
            name: 'http',
            protocol: 'HTTP',
            port: 80,
            hostname: profile.host,
            allowedRoutes: { namespaces: { from: 'Same' } },
          },
          {
            name: 'https',
            protocol: 'HTTPS',
            port: 443,
            hostname: profile.host,
            tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: gateway.tlsSecret }] },
            allowedRoutes: { namespaces: { from: 'Same' } },
          },
        ],
      },
    });
    const parent = (sectionName: string): Record<string, string> => ({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      name: gateway.name,
      sectionName,
    });
    new ApiObject(this, 'redirect', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: meta('https-redirect'),
      spec: {
        parentRefs: [parent('http')],
        hostnames: [profile.host],
        rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
      },
    });
    const route = (name: string, path: string, backend: string): void => {
      new ApiObject(this, `route-${name}`, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta(name),
        spec: {
          parentRefs: [parent('https')],
          hostnames: [profile.host],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: path } }],
              backendRefs: [{ kind: 'Service', name: backend, port: HTTP_PORT }],
            },
          ],
        },
      });
    };
    route('web', '/', 'web');
    route('api', '/api', 'api-gateway');
  }
}
