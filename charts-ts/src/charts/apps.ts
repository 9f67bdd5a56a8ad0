import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { disruptionBudget, spreadOverNodes } from '../lib/availability.ts';
import { caBundleVolume, trustCertificate } from '../lib/certificates.ts';
import { renderEnv } from '../lib/env.ts';
import {
  APP_UID,
  containerSecurity,
  podSecurity,
  resources,
  standardProbes,
  VAULT_TOKEN_DIR,
  vaultTokenVolume,
} from '../lib/workload.ts';
import {
  HTTP_PORT,
  imageOf,
  internalCa,
  labels,
  ns,
  selector,
  services,
  vault,
  type ServiceSpec,
} from '../platform.ts';
import type { Profile } from '../profile.ts';
import { integrationHeadless, serviceContainerEnv } from '../service-env.ts';

function podTemplate(s: ServiceSpec, profile: Profile, replicas: number): k8s.PodTemplateSpec {
  const probes = standardProbes('http');
  const volumes: k8s.Volume[] = [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }];
  const mounts: k8s.VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (s.vault) {
    volumes.push(vaultTokenVolume(vault.audience));
    mounts.push({ name: 'vault-token', mountPath: VAULT_TOKEN_DIR, readOnly: true });
  }
  if (s.vault || s.database !== undefined) {
    // The internal CA that signs Vault's and PostgreSQL's certificates (VAULT_CACERT, DATABASE_SSLROOTCERT).
    volumes.push(caBundleVolume('internal-ca', internalCa.trustSecret));
    mounts.push({ name: 'internal-ca', mountPath: internalCa.mountDir, readOnly: true });
  }
  return {
    metadata: {
      labels: labels(s.name, s.component),
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(HTTP_PORT),
        'prometheus.io/path': '/metrics',
      },
    },
    spec: {
      serviceAccountName: s.name,
      // The API token is not needed; Vault auth uses the projected token with audience `vault` below.
      automountServiceAccountToken: false,
      securityContext: podSecurity(APP_UID),
      ...(replicas > 1 ? spreadOverNodes(selector(s.name)) : {}),
      containers: [
        {
          name: s.name,
          image: imageOf(s.name, profile.images),
          imagePullPolicy: 'IfNotPresent',
          ports: [{ name: 'http', containerPort: HTTP_PORT }],
          env: renderEnv(serviceContainerEnv(s.name, profile)),
          resources: resources(profile.apps.resources),
          // Tilt's live_update writes into the container: dev relaxes the read-only root for these only.
          securityContext: containerSecurity(APP_UID, !profile.liveUpdate),
          startupProbe: probes.startup,
          livenessProbe: probes.liveness,
          readinessProbe: probes.readiness,
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}

/** A Deployment's replicas are the HPA's to set when it has one (no `replicas`, so an apply never resets it). */
function autoscaled(s: ServiceSpec, profile: Profile): boolean {
  return profile.apps.autoscale !== undefined && s.kind === 'Deployment';
}

/** web, api-gateway and user-service Deployments; integration-service StatefulSet with its headless Service. */
export class AppsChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const namespace = ns.apps;
    trustCertificate(this, namespace);
    for (const s of services) {
      const meta = { name: s.name, namespace, labels: labels(s.name, s.component) };
      new k8s.KubeServiceAccount(this, `${s.name}-sa`, {
        metadata: meta,
        // Pods mount only the projected Vault-audience token (see podTemplate).
        automountServiceAccountToken: false,
      });
      new k8s.KubeService(this, `${s.name}-service`, {
        metadata: meta,
        spec: {
          type: 'ClusterIP',
          selector: selector(s.name),
          ports: [{ name: 'http', port: HTTP_PORT, targetPort: k8s.IntOrString.fromString('http') }],
        },
      });
      const replicas = s.kind === 'StatefulSet' ? profile.apps.integrationReplicas : profile.apps.replicas;
      const template = podTemplate(s, profile, replicas);
      if (s.kind === 'StatefulSet') {
        // Per-pod DNS names: a request for an account another pod owns is forwarded to the owner.
        new k8s.KubeService(this, `${s.name}-headless`, {
          metadata: { ...meta, name: integrationHeadless },
          spec: {
            clusterIp: 'None',
            publishNotReadyAddresses: true,
            selector: selector(s.name),
            ports: [{ name: 'http', port: HTTP_PORT, targetPort: k8s.IntOrString.fromString('http') }],
          },
        });
        new k8s.KubeStatefulSet(this, s.name, {
          metadata: meta,
          spec: {
            serviceName: integrationHeadless,
            replicas,
            podManagementPolicy: 'Parallel',
            selector: { matchLabels: selector(s.name) },
            template,
          },
        });
      } else {
        new k8s.KubeDeployment(this, s.name, {
          metadata: meta,
          spec: {
            ...(autoscaled(s, profile) ? {} : { replicas }),
            selector: { matchLabels: selector(s.name) },
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0) } },
            template,
          },
        });
      }
      const autoscale = profile.apps.autoscale;
      if (autoscale !== undefined && autoscaled(s, profile)) {
        new k8s.KubeHorizontalPodAutoscalerV2(this, `${s.name}-hpa`, {
          metadata: meta,
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
            minReplicas: replicas,
            maxReplicas: autoscale.maxReplicas,
            metrics: [
              {
                type: 'Resource',
                resource: {
                  name: 'cpu',
                  target: { type: 'Utilization', averageUtilization: autoscale.cpuUtilization },
                },
              },
            ],
          },
        });
      }
      if (replicas > 1) disruptionBudget(this, `${s.name}-pdb`, meta, selector(s.name), { minAvailable: 1 });
    }
  }
}
