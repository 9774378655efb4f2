/**
 * Renders model, macro and test SQL with nunjucks (Jinja-compatible, so `{{ ref('x') }}`, `{% if
 * is_incremental() %}` and `{% macro %}` read like dbt). Rendering is synchronous, so the model-facing
 * functions are globals that delegate to the context of the render in progress — which also lets macros
 * call ref(), var() or is_incremental(). Macros named `<engine>__x` / `default__x` are dispatched as `x()`
 * in the engine's order (dbt's adapter.dispatch). Errors name the file and line.
 */
import nunjucks from 'nunjucks';
import { ModelProjectError } from '../model-error.ts';
import type { MacroFile } from '../project/model-project.ts';

/** What a template can ask for while it renders; parse and compile supply different answers. */
export interface RenderContext {
  ref(name: string): string;
  /** `{{ changed_rows('x') }}`: the rows model x's last run inserted and deleted (config record_changes). */
  changedRows(name: string): string;
  source(source: string, table: string): string;
  config(values: Record<string, unknown>): void;
  isIncremental(): boolean;
  variable(name: string, fallback?: unknown): unknown;
  /** `{{ this }}`: the model's own relation, quoted. */
  self?: string;
  /** Extra template variables (a generic test's arguments). */
  variables?: Record<string, unknown>;
}

type MacroFunction = (...args: unknown[]) => unknown;

/** nunjucks passes keyword arguments as a trailing object flagged `__keywords`. */
function keywords(args: unknown[]): Record<string, unknown> {
  const last = args.at(-1) as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && last['__keywords']) {
    const { __keywords: _flag, ...rest } = last;
    return rest;
  }
  return {};
}

export class TemplateRenderer {
  private readonly env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  private readonly templates = new Map<string, nunjucks.Template>();
  private current: RenderContext | undefined;
  private readonly macros = new Map<string, MacroFunction>();

  /** `dispatchOrder`: the engine's macro namespaces, most specific first (e.g. redshift, postgres). */
  constructor(
    macroFiles: MacroFile[],
    private readonly dispatchOrder: readonly string[],
    engine: string,
  ) {
    const active = () => {
      if (!this.current) throw new Error('no template is being rendered');
      return this.current;
    };
    this.env.addGlobal('ref', (name: string) => active().ref(name));
    this.env.addGlobal('changed_rows', (name: string) => active().changedRows(name));
    this.env.addGlobal('source', (source: string, table: string) => active().source(source, table));
    this.env.addGlobal('config', (...args: unknown[]) => {
      active().config(keywords(args));
      return '';
    });
    this.env.addGlobal('is_incremental', () => active().isIncremental());
    this.env.addGlobal('var', (name: string, fallback?: unknown) => active().variable(name, fallback));
    this.env.addGlobal('target', { name: engine, type: engine });
    this.env.addGlobal('adapter', { dispatch: (name: string) => this.dispatch(name) });
    for (const file of macroFiles) this.loadMacros(file);
    this.registerDispatchedNames();
  }

  private loadMacros(file: MacroFile): void {
    // getExported is public in nunjucks but missing from its type definitions.
    const template = this.compile(file.path, file.sql) as nunjucks.Template & {
      getExported(callback: (error: Error | null, exported: Record<string, MacroFunction>) => void): void;
    };
    template.getExported((error: Error | null, exported: Record<string, MacroFunction>) => {
      if (error) throw this.mapError(error, file.path, false);
      for (const [name, macro] of Object.entries(exported)) {
        this.macros.set(name, macro);
        this.env.addGlobal(name, macro);
      }
    });
  }

  /** `default__x` and `<engine>__x` become callable as `x()` unless a plain `x` macro exists. */
  private registerDispatchedNames(): void {
    const namespaces = new Set([...this.dispatchOrder, 'default']);
    for (const name of this.macros.keys()) {
      const split = name.indexOf('__');
      if (split <= 0 || !namespaces.has(name.slice(0, split))) continue;
      const base = name.slice(split + 2);
      if (this.macros.has(base)) continue;
      this.env.addGlobal(base, (...args: unknown[]) => this.dispatch(base)(...args));
    }
  }

  /** The macro `<ns>__name` for the first namespace of the engine's order that defines it, else default__. */
  dispatch(name: string): MacroFunction {
    for (const namespace of [...this.dispatchOrder, 'default']) {
      const macro = this.macros.get(`${namespace}__${name}`);
      if (macro) return macro;
    }
    throw new Error(
      `no macro ${[...this.dispatchOrder, 'default'].map((ns) => `${ns}__${name}`).join(' or ')}`,
    );
  }

  private compile(path: string, sql: string): nunjucks.Template {
    const key = `${path}\u0000${sql}`;
    let template = this.templates.get(key);
    if (!template) {
      try {
        template = new nunjucks.Template(sql, this.env, path, true);
      } catch (error) {
        throw this.mapError(error as Error, path, true);
      }
      this.templates.set(key, template);
    }
    return template;
  }

  /** Renders `sql` (from `path`, for messages) with `context`. */
  render(path: string, sql: string, context: RenderContext): string {
    const template = this.compile(path, sql);
    const previous = this.current;
    this.current = context;
    try {
      return template.render({ this: context.self, ...context.variables });
    } catch (error) {
      throw this.mapError(error as Error, path, false);
    } finally {
      this.current = previous;
    }
  }

  /**
   * nunjucks reports parse errors with 1-based lines and render errors with 0-based ones; both become
   * `path:line:column: message`.
   */
  private mapError(error: Error, path: string, parsing: boolean): ModelProjectError {
    if (error instanceof ModelProjectError) return error;
    const text = error.message;
    const position = /\[Line (\d+), Column (\d+)\]/.exec(text);
    const message = text
      .replace(/^\([^)]*\)\s*/, '')
      .replace(/\[Line \d+, Column \d+\]\s*/, '')
      .replace(/^Template render error:\s*/, '')
      .replace(/^\s*Error:\s*/, '')
      .trim();
    const inner = /\((\S+\.sql)\) \[Line/.exec(text)?.[1];
    const where = inner && inner !== path ? inner : path;
    if (!position) return new ModelProjectError(`${where}: ${message}`);
    const offset = parsing ? 0 : 1;
    return new ModelProjectError(
      `${where}:${Number(position[1]) + offset}:${Number(position[2]) + offset}: ${message}`,
    );
  }
}
