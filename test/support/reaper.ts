// Moved to tools/embedded/src/reaper.ts: process.ts starts it from there. Running this path still works.
import '@cf/embedded/reaper';
