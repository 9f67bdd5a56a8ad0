/**
 * The audit device for Vault's server configuration. OpenBao (since 2.3) refuses `PUT sys/audit/*` ("cannot
 * enable audit device via API; use declarative, config-based audit device management instead" — observed on
 * 2.7.2), so the device is declared in the server HCL that charts-ts generates, not applied over the API.
 * A file device on `stdout` (the device's special value: Vault's own stdout, a pipe in a container) reaches the logging pipeline with the container's log; request and response values
 * are HMAC-SHA256'd by Vault (`log_raw = false`, the default), so no secret appears in clear.
 */
export function auditDeviceHcl(options: { path?: string; filePath?: string } = {}): string {
  return [
    `audit "file" "${options.path ?? 'stdout'}" {`,
    '  options {',
    `    file_path = "${options.filePath ?? 'stdout'}"`,
    '    log_raw   = "false"',
    '  }',
    '}',
    '',
  ].join('\n');
}
