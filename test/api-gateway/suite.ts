// The gateway the api-gateway suites test, one per file: in front of a real user-service and a probe standing in for
// integration-service.
import { randomUUID } from 'node:crypto';
import { registerAccount, userServiceFixtureForFile, type Account } from '../user-service/fixture.ts';
import { gatewayForFile, probeForFile } from './fixture.ts';

export function gatewaySuite() {
  // Every test registers its own user from 127.0.0.1: more than user-service's default 20 per address.
  const users = userServiceFixtureForFile({ REGISTER_LIMIT_PER_IP: '1000' });
  const probe = probeForFile();
  const gw = gatewayForFile(() => ({
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL: probe.url,
    PUBLIC_ORIGIN: 'https://cf.example',
    CORS_ORIGINS: 'https://admin.cf.example',
  }));

  /** A new account registered through the gateway's /api/auth/register, from the client address `call` defaults to. */
  function registerViaGateway(): Promise<Account> {
    return registerAccount(
      `${gw.url}/api`,
      '10.9.9.9',
      `gw-${randomUUID().slice(0, 8)}@example.org`,
      `gateway-${randomUUID()}`,
    );
  }

  function probeCalls(since: number): number {
    return probe.requests.length - since;
  }

  return { users, probe, gw, registerViaGateway, probeCalls };
}
