/**
 * cac 7 dispatches a `CustomEvent` for every command it parses, the daemon's
 * default command too; Node 18 has that class only behind
 * --experimental-global-customevent (a global from Node 19), so every run
 * would throw "CustomEvent is not defined" there. Imported for its side effect.
 */
export class CustomEventShim<T> extends Event {
  readonly detail: T | null;

  constructor(type: string, init?: CustomEventInit<T>) {
    super(type, init);
    this.detail = init?.detail ?? null;
  }
}

const scope = globalThis as { CustomEvent?: unknown };
scope.CustomEvent ??= CustomEventShim;
