import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { services } from '../../../platform.ts';
import { dashboards as platformDashboards } from './platform.ts';
import { serviceDashboard } from './service.ts';

export { datasources, panelQueries } from './panels.ts';

/** Every dashboard by file name: the platform ones and one RED dashboard per service of the registry. */
export function dashboards(): Record<string, Dashboard> {
  const out = platformDashboards();
  for (const s of services) out[`red-${s.name}.json`] = serviceDashboard(s.name);
  return out;
}
