// Main's side of the engine host: spawns it, correlates calls with responses, forwards events,
// and restarts a host that dies (telling the UI, and failing the jobs that were running in it).
import { HostMessage, type CallName, type CallResult, type JobSummary, type StudioEvent } from './engine/api';

/** How a host process is reached: Electron's utilityProcess or Node's child_process.fork. */
export interface HostTransport {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}
export type SpawnHost = () => HostTransport;

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

export class EngineClient {
  private transport: HostTransport | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly jobs = new Map<string, JobSummary>();
  private nextId = 1;
  private stopped = false;
  private ready: Promise<void> = Promise.resolve();
  /** Resolves when the current host process has exited. */
  private exited: Promise<void> = Promise.resolve();
  private restarts: number[] = [];
  /** Folders allowed so far (desktop app): told to every host, a restarted one too. */
  private readonly roots = new Set<string>();

  constructor(
    private readonly spawn: SpawnHost,
    private readonly onEvent: (event: StudioEvent) => void,
  ) {}

  start(): Promise<void> {
    this.stopped = false;
    this.launch();
    return this.ready;
  }

  call<K extends CallName>(name: K, args: unknown): Promise<CallResult<K>> {
    return this.ready.then(
      () =>
        new Promise<CallResult<K>>((resolve, reject) => {
          if (!this.transport) return reject(new Error('the engine is not running'));
          const id = this.nextId++;
          this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
          this.transport.send({ id, call: name, args });
        }),
    );
  }

  /** Allows folders the user picked in a native dialog; a call made after this one sees them. */
  allowRoots(dirs: string[]): void {
    const fresh = dirs.filter((d) => !this.roots.has(d));
    if (!fresh.length) return;
    for (const d of fresh) this.roots.add(d);
    void this.ready.then(() => this.transport?.send({ kind: 'allowRoots', dirs: fresh }));
  }

  /**
   * Stops the host: it cancels its jobs, removes their temp files and marks their runs interrupted before
   * it exits (host.ts). Resolves when it has exited.
   */
  stop(): Promise<void> {
    this.stopped = true;
    const exited = this.exited;
    this.transport?.kill();
    this.transport = null;
    return exited;
  }

  private launch(): void {
    const t = this.spawn();
    this.transport = t;
    let markReady!: () => void;
    this.ready = new Promise((r) => (markReady = r));
    let markExited!: () => void;
    this.exited = new Promise((r) => (markExited = r));
    t.onMessage((raw) => {
      const msg = HostMessage.safeParse(raw);
      if (!msg.success) return;
      const m = msg.data;
      if (m.kind === 'ready') {
        // a restarted host starts with the workspace and home only: give it the folders allowed so far
        if (this.roots.size) t.send({ kind: 'allowRoots', dirs: [...this.roots] });
        markReady();
      }
      else if (m.kind === 'event') {
        if (m.event.type === 'job') this.jobs.set(m.event.job.id, m.event.job);
        this.onEvent(m.event);
      } else {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error));
      }
    });
    t.onExit((code) => {
      markExited();
      if (this.transport !== t) return;
      this.transport = null;
      for (const p of this.pending.values()) p.reject(new Error('the engine process stopped'));
      this.pending.clear();
      markReady();
      if (this.stopped) return;
      this.failRunningJobs(`the engine process stopped (exit code ${code})`);
      this.onEvent({ type: 'engine', state: 'crashed', message: `The engine stopped (exit code ${code}); restarting it.` });
      // Give up restarting when it dies over and over: a crash loop would freeze the UI with retries.
      const now = Date.now();
      this.restarts = this.restarts.filter((t0) => now - t0 < 60_000);
      if (this.restarts.length >= 5) {
        this.onEvent({ type: 'engine', state: 'crashed', message: 'The engine keeps stopping; not restarting it. Restart the app.' });
        return;
      }
      this.restarts.push(now);
      this.launch();
      void this.ready.then(() => this.onEvent({ type: 'engine', state: 'restarted', message: 'The engine was restarted.' }));
    });
  }

  private failRunningJobs(reason: string): void {
    for (const job of this.jobs.values()) {
      if (job.status === 'running' || job.status === 'queued') {
        const failed: JobSummary = { ...job, status: 'failed', error: reason, etaSeconds: null, finishedAt: Date.now() };
        this.jobs.set(job.id, failed);
        this.onEvent({ type: 'job', job: failed });
      }
    }
  }
}
