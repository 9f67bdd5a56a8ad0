/**
 * Whether a process with this id exists (signal 0 checks without sending anything). Kept apart from process.ts,
 * whose import installs exit and signal handlers, so guard processes and `npm start`'s lock can ask too.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
