/** A dependency-free SVG line chart: latency percentiles against offered rate, log-log. */
export interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: Array<[number, number]>;
}

const W = 760;
const H = 420;
const M = { l: 70, r: 190, t: 40, b: 55 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function fmtRate(v: number): string {
  return v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v);
}

export function latencyChart(title: string, series: Series[]): string {
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const xlo = 10 ** Math.floor(Math.log10(Math.min(...xs, 1e4)));
  const xhi = 10 ** Math.ceil(Math.log10(Math.max(...xs, 1e5)));
  const ylo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...ys, 1))));
  const yhi = 10 ** Math.ceil(Math.log10(Math.max(...ys, 300)));
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const X = (v: number) => M.l + ((Math.log10(v) - Math.log10(xlo)) / (Math.log10(xhi) - Math.log10(xlo))) * pw;
  const Y = (v: number) => M.t + ph - ((Math.log10(Math.max(v, ylo)) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo))) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.l}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const v of decades(xlo, xhi)) {
    out.push(`<line x1="${X(v)}" y1="${M.t}" x2="${X(v)}" y2="${M.t + ph}" stroke="#ddd"/>`);
    out.push(`<text x="${X(v)}" y="${M.t + ph + 18}" text-anchor="middle">${fmtRate(v)}</text>`);
  }
  for (const v of decades(ylo, yhi)) {
    out.push(`<line x1="${M.l}" y1="${Y(v)}" x2="${M.l + pw}" y2="${Y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.l - 8}" y="${Y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  out.push(`<line x1="${M.l}" y1="${Y(250)}" x2="${M.l + pw}" y2="${Y(250)}" stroke="#c00" stroke-dasharray="2,3"/>`);
  out.push(`<text x="${M.l + pw - 4}" y="${Y(250) - 5}" text-anchor="end" fill="#c00">p99 limit 250 ms</text>`);
  out.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.l + pw / 2}" y="${H - 12}" text-anchor="middle">offered deliveries per second (log)</text>`);
  out.push(`<text transform="translate(18 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle">latency, ms (log)</text>`);
  series.forEach((s, i) => {
    const good = s.points.filter(([x, y]) => x > 0 && y > 0);
    const dash = s.dashed ? ' stroke-dasharray="6,4"' : '';
    if (good.length) {
      const d = good.map(([x, y], j) => `${j ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const [x, y] of good) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
    const ly = M.t + 10 + i * 18;
    out.push(`<line x1="${M.l + pw + 12}" y1="${ly}" x2="${M.l + pw + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${M.l + pw + 46}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
