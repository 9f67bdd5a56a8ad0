import { k8s } from 'cdk8s-plus-27';

/**
 * A directory a third-party image writes to, as an emptyDir with a size limit, so its container can run with a
 * read-only root filesystem. The limit counts against the container's ephemeral-storage (lib/workload.ts).
 */
export function writableDir(
  name: string,
  mountPath: string,
  sizeLimit: string,
): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return {
    volume: { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } },
    mount: { name, mountPath },
  };
}
