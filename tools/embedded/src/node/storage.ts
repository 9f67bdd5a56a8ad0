// Persistent volumes for the node, standing where kind's default StorageClass (`standard`, local-path-provisioner)
// stands: a default StorageClass whose claims bind, when their pod is scheduled, to a pool of hostPath volumes in
// the run's directory (world-writable like local-path's, since hostPath volumes ignore fsGroup).
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningNode } from './node.ts';

/** Creates the `standard` StorageClass and `count` volumes of `size` (e.g. `2Gi`). */
export async function createVolumePool(node: RunningNode, count: number, size: string): Promise<void> {
  const docs = [
    `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete`,
  ];
  for (let i = 0; i < count; i++) {
    const path = join(node.state.dir, 'volumes', `pv-${i}`);
    mkdirSync(path, { recursive: true });
    chmodSync(path, 0o777);
    docs.push(`apiVersion: v1
kind: PersistentVolume
metadata: { name: cf-node-pv-${i} }
spec:
  capacity: { storage: ${size} }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: standard
  hostPath: { path: ${path}, type: Directory }`);
  }
  await node.kubectl(['apply', '-f', '-'], docs.join('\n---\n'));
}
