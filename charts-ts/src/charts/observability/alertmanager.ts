import type { IAlertmanager } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Alertmanager';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { labels } from '../../platform.ts';
import { alertmanagerConfig } from './alertmanager-config.ts';
import { add, volumeClaim } from './objects.ts';
import type { ObservabilitySettings } from './settings.ts';
import { vaultPaths } from './settings.ts';
import { alertmanager, namespace, vaultAgent } from './stack.ts';
import {
  agentConfig,
  agentContainer,
  agentVolumes,
  restrictedPod,
  secretsMount,
  type RenderedSecret,
} from './vault-agent.ts';

const ALERTMANAGER_UID = 65534;

/** The files Alertmanager reads from Vault: one URL per webhook receiver, the SMTP password when e-mail is on. */
export function alertmanagerSecrets(settings: ObservabilitySettings): RenderedSecret[] {
  const path = vaultPaths.alertmanager;
  return [
    ...settings.receivers.webhooks.map((w) => ({ file: `${w.name}-url`, path, key: `${w.name}-url` })),
    ...(settings.receivers.email !== undefined ? [{ file: 'smtp-password', path, key: 'smtp-password' }] : []),
  ];
}

/**
 * Alertmanager (1 replica dev, 3 prod, clustered by the operator) with its configuration from a Secret that
 * holds no secret values, and a `bao agent` sidecar rendering receiver URLs and the SMTP password from Vault.
 */
export function alertmanagerStack(scope: Construct, settings: ObservabilitySettings): void {
  const l = labels(alertmanager.name, 'alerting', alertmanager.version);
  new k8s.KubeServiceAccount(scope, 'alertmanager-sa', {
    metadata: { name: alertmanager.serviceAccount, namespace, labels: l },
  });
  new k8s.KubeSecret(scope, 'alertmanager-config', {
    metadata: { name: alertmanager.configSecret, namespace, labels: l },
    stringData: { 'alertmanager.yaml': stringify(alertmanagerConfig(settings), { aliasDuplicateObjects: false }) },
  });
  const agentMap = `${alertmanager.name}-vault-agent`;
  new k8s.KubeConfigMap(scope, 'alertmanager-agent', {
    metadata: { name: agentMap, namespace, labels: l },
    data: { 'agent.hcl': agentConfig(vaultAgent.role.alertmanager, alertmanagerSecrets(settings), false) },
  });
  const object: IAlertmanager = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'Alertmanager',
    metadata: { name: alertmanager.name, namespace, labels: l },
    spec: {
      replicas: settings.alertmanager.replicas,
      version: alertmanager.version,
      image: alertmanager.image,
      serviceAccountName: alertmanager.serviceAccount,
      configSecret: alertmanager.configSecret,
      podMetadata: { labels: l },
      securityContext: restrictedPod(ALERTMANAGER_UID),
      resources: settings.alertmanager.resources,
      storage: { volumeClaimTemplate: volumeClaim('alertmanager-db', settings.alertmanager.storage) },
      containers: [agentContainer('vault-agent')],
      volumes: agentVolumes(agentMap),
      volumeMounts: [secretsMount],
    },
  };
  add(scope, 'alertmanager', object);
}
