// What kube-score reports on manifests/prod that we keep on purpose, each with its reason. Anything else fails
// test/charts/kube-score.test.ts; an entry that no longer matches anything fails it too (remove it).

export interface Allowed {
  /** kube-score's check id (`kube-score list`). */
  check: string;
  /** `Kind/group/version/namespace/name` as kube-score names objects. */
  objects: RegExp;
  reason: string;
}

export const allowed: readonly Allowed[] = [
  {
    check: 'networkpolicy-targets-pod',
    objects:
      /^NetworkPolicy\/networking\.k8s\.io\/v1\/(cf-data|cf-observability|cf-logging|cf-log-shipper|cf-apps)\/.+$/,
    reason:
      "kube-score only sees pods in the files it reads. These policies select pods that operators create (CloudNativePG's " +
      "instances in cf-data, cert-manager's ACME solvers in cf-apps), workloads a later issue adds (observability, " +
      'logging, the log shipper), or every pod of a namespace that holds none yet (default-deny, allow-dns). ' +
      "test/charts/network-policies.test.ts checks each policy against those pods' real labels with cyclonus.",
  },
  {
    check: 'service-targets-pod',
    objects: /^Service\/v1\/cf-vault\/vault-active$/,
    reason:
      'Selects `openbao-active: "true"`, a label OpenBao\'s service_registration "kubernetes" sets on the leader at run time.',
  },
  {
    check: 'container-image-pull-policy',
    objects:
      /^(((Deployment|StatefulSet|DaemonSet)\/apps\/v1|Job\/batch\/v1)\/(cf-apps|cf-vault|cf-observability|cf-logging|cf-log-shipper)\/.+|CronJob\/batch\/v1\/cf-vault\/vault-backup)$/,
    reason:
      'Every image is pinned (a release tag, or a digest with CF_IMAGE_DIGESTS; Elastic and OpenBao by their release ' +
      'tags) and never re-pushed; IfNotPresent lets ' +
      "pods restart while the registry is down, which matters most for Vault and its unsealer. kube-score's reason for " +
      'Always (mutable tags) does not apply.',
  },
  {
    check: 'container-security-context-user-group-id',
    objects:
      /^(((Deployment|StatefulSet)\/apps\/v1|Job\/batch\/v1)\/(cf-apps|cf-vault|cf-observability|cf-logging)\/.+|CronJob\/batch\/v1\/cf-vault\/vault-backup)$/,
    reason:
      "The images' own unprivileged users: uid/gid 1000 (`node` in node:24-bookworm-slim, which owns the app files Tilt " +
      "live-updates), uid 100/gid 1000 (`openbao` in OpenBao's image, which owns its data directory; also the `bao agent` " +
      "beside Grafana), uid 472 (`grafana` in Grafana's image, which owns its home) and uid/gid 1000 of Elastic's images " +
      '(`elasticsearch`, `logstash`, `kibana`, which own their home directories). kube-score wants ' +
      '> 10000 to avoid clashing with host users; Pod Security `restricted` (non-root, no privilege escalation, all ' +
      'capabilities dropped, RuntimeDefault seccomp) and a read-only root filesystem are enforced instead.',
  },
  {
    check: 'deployment-replicas',
    objects: /^Deployment\/apps\/v1\/cf-observability\/grafana$/,
    reason:
      "Grafana keeps users' sessions and preferences in its own SQLite file in the pod (dashboards and datasources are " +
      'provisioned from ConfigMaps, the admin password lives in Vault), so a second replica would split them; running ' +
      'several needs a shared database. Nobody is paged through Grafana: Alertmanager (3 replicas in prod) delivers alerts.',
  },
  {
    check: 'container-security-context-user-group-id',
    objects: /^DaemonSet\/apps\/v1\/cf-log-shipper\/filebeat$/,
    reason:
      "Filebeat runs as root to read the kubelet's container log files (root-owned, mode 0640), in a namespace of its " +
      'own labelled Pod Security `privileged` for that; it adds only DAC_READ_SEARCH, never escalates, and its root ' +
      'filesystem and the log mounts are read-only.',
  },
];
