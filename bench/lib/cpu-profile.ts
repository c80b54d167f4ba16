import { readFileSync } from 'node:fs';

/** What `node --cpu-prof` writes (the V8 `Profile` of the inspector protocol), as far as read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where code comes from, by its script URL; the first match wins. */
const OURS = (path: string) => new RegExp(`^file://(?!.*/node_modules/).*/src/${path}`);
const OWN_CODE = OURS('');
const CATEGORIES: [name: string, pattern: RegExp][] = [
  ['graphql-sso context (src/auth/context, header, request-info)', OURS('auth/(context|header|request-info|graphql-errors)\\.js')],
  ['graphql-sso directives (src/auth/directives)', OURS('auth/directives/')],
  ['graphql-sso jwt (src/jwt)', OURS('jwt/')],
  ['graphql-sso other', OURS('')],
  ['bench server code', /^file:\/\/(?!.*\/node_modules\/).*\/bench\//],
  ['jsonwebtoken (jws, jwa)', /\/node_modules\/(jsonwebtoken|jws|jwa|semver|lodash\.[a-z]+)\//],
  ['graphql-js', /\/node_modules\/graphql\//],
  ['Apollo Server', /\/node_modules\/@apollo\//],
  ['Yoga, envelop, whatwg-node', /\/node_modules\/(graphql-yoga|@graphql-yoga|@envelop|@whatwg-node|@graphql-tools|urlpattern-polyfill)\//],
  ['other packages', /\/node_modules\//],
  ['node crypto', /^node:internal\/crypto\//],
  ['node http, net, streams', /^node:(_http|http|net|internal\/(http|streams|stream_base|net|tcp|js_stream|url|dns))/],
  ['node other', /^node:/],
];
const OTHER = 'V8 and native (builtins, unattributed)';

export interface ProfileSummary {
  /** Sampled CPU time (ms), idle excluded. */
  busyMs: number;
  /** Self time per category (ms), largest first. */
  self: { category: string; ms: number }[];
  /** Self time per function (ms), largest first, at most `top`. */
  functions: { name: string; ms: number }[];
  /**
   * Time (ms) with each of graphql-sso's functions on the stack (itself and what it calls), largest
   * first, at most `top`; and with any of them (`total`). Work resumed after an `await` counts for
   * the async function it resumes; work graphql-js or Apollo does because of what our code returned
   * (a promise instead of a value, say) does not.
   */
  own: { total: number; functions: { name: string; ms: number }[] };
}

/** `graphql/execution/execute.js`, `src/auth/context.js`, `node:_http_outgoing`. */
function shortUrl(url: string): string {
  const inPackage = url.lastIndexOf('/node_modules/');
  if (inPackage >= 0) return url.slice(inPackage + '/node_modules/'.length);
  return url.replace(/^file:\/\/.*?\/((src|bench)\/)/, '$1');
}

function categorize(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  for (const [name, pattern] of CATEGORIES) if (pattern.test(url)) return name;
  return OTHER;
}

/**
 * Self time of a `.cpuprofile` by category (native frames counted for their nearest scripted
 * caller) and by function; `(idle)` is left out. `windows` keep only the samples taken in them,
 * on the clock of `process.hrtime` (µs), which V8's profiler shares.
 */
export function summarizeCpuProfile(
  file: string,
  {
    top = 12,
    windows = [{ fromUs: -Infinity, toUs: Infinity }],
  }: { top?: number; windows?: readonly { fromUs: number; toUs: number }[] } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // Native frames (no script: builtins, syscalls such as writev) count for the nearest caller that has one.
  const categoryOf = new Map<number, string>();
  const categoryFor = (id: number): string => {
    let category = categoryOf.get(id);
    if (category !== undefined) return category;
    const { url, functionName } = byId.get(id)!.callFrame;
    category = categorize(url, functionName);
    const parent = parentOf.get(id);
    if (category === OTHER && url === '' && parent !== undefined && !functionName.startsWith('(')) category = categoryFor(parent);
    categoryOf.set(id, category);
    return category;
  };
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!windows.some(({ fromUs, toUs }) => at >= fromUs && at <= toUs)) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const nameOf = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
  };
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  const ownInclusive = new Map<string, number>();
  let ownTotal = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    busy += us;
    const category = categoryFor(id);
    categories.set(category, (categories.get(category) ?? 0) + us);
    functions.set(nameOf(id), (functions.get(nameOf(id)) ?? 0) + us);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      if (OWN_CODE.test(byId.get(at)!.callFrame.url)) onStack.add(nameOf(at));
    }
    for (const name of onStack) ownInclusive.set(name, (ownInclusive.get(name) ?? 0) + us);
    if (onStack.size > 0) ownTotal += us;
  }
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    busyMs: busy / 1000,
    self: sorted(categories).map(([category, us]) => ({ category, ms: us / 1000 })),
    functions: sorted(functions)
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000 })),
    own: {
      total: ownTotal / 1000,
      functions: sorted(ownInclusive)
        .slice(0, top)
        .map(([name, us]) => ({ name, ms: us / 1000 })),
    },
  };
}

/**
 * Where server `a` spends more CPU per request than server `b`: the categories whose
 * per-request self time differs most, as `category +x µs` (`a` minus `b`), largest first.
 */
export function compareProfiles(
  a: { summary: ProfileSummary; requests: number },
  b: { summary: ProfileSummary; requests: number },
  limit = 5,
): string[] {
  const perRequest = (s: { summary: ProfileSummary; requests: number }) =>
    new Map(s.summary.self.map(({ category, ms }) => [category, (ms * 1000) / s.requests]));
  const pa = perRequest(a);
  const pb = perRequest(b);
  const names = new Set([...pa.keys(), ...pb.keys()]);
  return [...names]
    .map((name) => ({ name, delta: (pa.get(name) ?? 0) - (pb.get(name) ?? 0) }))
    .filter(({ delta }) => Math.abs(delta) >= 0.5)
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta))
    .slice(0, limit)
    .map(({ name, delta }) => `${name} ${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(1)} µs`);
}
