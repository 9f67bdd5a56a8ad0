import type { Resources } from '../../profile.ts';

/** What the logging stack sizes by profile (the laptop kind cluster vs production). */
export interface LoggingSettings {
  elasticsearch: { replicas: number; heap: string; storage: string; resources: Resources };
  logstash: { replicas: number; heap: string; resources: Resources };
  kibana: { replicas: number; resources: Resources };
  filebeat: { resources: Resources };
}

export const loggingSettings: Record<'dev' | 'prod', LoggingSettings> = {
  dev: {
    elasticsearch: {
      replicas: 1,
      heap: '512m',
      storage: '2Gi',
      resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
    },
    logstash: {
      replicas: 1,
      heap: '256m',
      resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '500m', memory: '768Mi' } },
    },
    kibana: {
      replicas: 1,
      resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    },
    filebeat: { resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '200m', memory: '192Mi' } } },
  },
  prod: {
    elasticsearch: {
      replicas: 3,
      heap: '2g',
      storage: '50Gi',
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    },
    logstash: {
      replicas: 2,
      heap: '1g',
      resources: { requests: { cpu: '500m', memory: '1536Mi' }, limits: { cpu: '1', memory: '2Gi' } },
    },
    kibana: {
      replicas: 2,
      resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
    },
    filebeat: { resources: { requests: { cpu: '50m', memory: '100Mi' }, limits: { cpu: '500m', memory: '256Mi' } } },
  },
};
