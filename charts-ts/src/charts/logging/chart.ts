import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { trustCertificate } from '../../lib/certificates.ts';
import { elasticsearch, elasticsearchVault } from './elasticsearch.ts';
import { filebeat } from './filebeat.ts';
import { kibana, kibanaVault } from './kibana.ts';
import { logstash, logstashVault } from './logstash.ts';
import { logging } from './names.ts';
import { loggingSettings } from './settings.ts';
import { setupJob, setupVault } from './setup-job.ts';
import type { LoggingVaultClient } from './vault-secrets.ts';

/** Who in the logging stack logs in to Vault, for the unsealer's declarative configuration (roles, policies). */
export const loggingVaultClients: readonly LoggingVaultClient[] = [
  elasticsearchVault,
  logstashVault,
  kibanaVault,
  setupVault,
];

/**
 * Filebeat → Logstash → Elasticsearch ← Kibana in `cf-logging` (Filebeat in `cf-log-shipper`), with the parsing
 * contract (ingest pipeline, index template, data view) applied by a setup Job; TLS from the platform's internal
 * CA. No chart-level namespace: the ClusterRole stays cluster-scoped (FACTS.md).
 */
export class LoggingChart extends Chart {
  constructor(scope: Construct, id: string, profile: 'dev' | 'prod') {
    super(scope, id);
    const settings = loggingSettings[profile];
    // ca.crt for the init containers that log in to Vault (vault-secrets.ts).
    trustCertificate(this, logging.namespace);
    elasticsearch(this, settings.elasticsearch);
    logstash(this, settings.logstash);
    kibana(this, settings.kibana);
    filebeat(this, settings.filebeat);
    setupJob(this, profile);
  }
}
