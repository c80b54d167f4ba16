export interface Scrape {
  status: number;
  contentType: string | null;
  text: string;
  /** The sample `name{labels}`, exactly these labels; `undefined` when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum of every sample `name`, whatever its labels (0 when there is none). */
  total(name: string): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** GET /metrics of a service, parsed from the Prometheus text format. */
export async function scrape(origin: string): Promise<Scrape> {
  const response = await fetch(`${origin}/metrics`);
  const text = await response.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = [...(match[2] ?? '').matchAll(LABEL)].map(([, k, v]) => `${k}=${v}`).sort();
    samples.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    value(name, labels = {}) {
      const key = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .sort();
      return samples.get(`${name}{${key.join(',')}}`);
    },
    total(name) {
      let sum = 0;
      for (const [key, value] of samples) if (key.startsWith(`${name}{`)) sum += value;
      return sum;
    },
  };
}

/** Database queries a service has made so far, from its /metrics (`url`: any URL of it, e.g. its GraphQL endpoint). */
export async function queryCount(url: string): Promise<number> {
  return (await scrape(new URL(url).origin)).total('sso_database_query_duration_seconds_count');
}
